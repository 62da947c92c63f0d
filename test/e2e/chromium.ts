/** The browser tests' Chromium: the system's (`apt-get install -y chromium`); Playwright never downloads one here. */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the browser tests leave their screenshots. */
export const SCREENSHOTS = path.join(__dirname, 'screenshots');
/** Hosts a page may load from: this machine only (anything else is aborted and reported). */
export const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Launches headless Chromium; fails (never skips) when it is missing: `npm test` installs it (scripts/test-services.sh). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: sudo bash scripts/test-services.sh (or apt-get install -y chromium, or set CHROMIUM_PATH).`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  // No background networking: this machine's closed network would refuse those connections.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
}

/// <reference lib="dom" />
/**
 * The explorer in the browser: GraphiQL under a bar that picks an example operation, a requester
 * (the gateway mints a development token with its category), the declared purpose, the evidence
 * and an approval, and shows which fields that releases. Bundled by
 * the gateway (../bundle.ts); everything it loads comes from the gateway, so it works offline.
 * Written with `createElement` rather than JSX so the project's tsconfig needs no JSX setting.
 */
import { createElement as h, useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import type { Fetcher } from '@graphiql/toolkit';
import 'graphiql/graphiql.css';
import './explorer.css';
import type { ExplorerConfig } from './config';

const config = JSON.parse(document.getElementById('page-config')!.textContent!) as ExplorerConfig;

/** The credentials and declared purpose the bar attaches to every request. */
interface Credentials {
  role: string;
  token: string;
  sub?: string;
  expiresAt?: number;
  purpose: string;
  /** `X-Evidence`: `kind=reference; …`. */
  evidence: string;
  /** `X-Access-Grant`. */
  grant: string;
}

const ROLE_KEY = 'archive-federation.explorer.role';
/** Where GraphiQL keeps its tabs (its default storage namespace `graphiql`). */
const TABS_KEY = 'graphiql:tabState';

/**
 * The gateway reads these headers as UTF-8 percent-encoding when they contain `%XX`; the browser
 * refuses non-Latin-1 header values outright, so Chinese purposes must be encoded.
 */
const headerValue = (text: string) => encodeURIComponent(text.trim());

function requestHeaders(c: Credentials): Record<string, string> {
  const headers: Record<string, string> = {};
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  if (c.purpose.trim()) headers['x-access-purpose'] = headerValue(c.purpose);
  if (c.evidence.trim()) headers['x-evidence'] = headerValue(c.evidence);
  if (c.grant.trim()) headers['x-access-grant'] = headerValue(c.grant);
  return headers;
}

async function fetchDevToken(role: string): Promise<{ token: string; sub: string; purpose: string; evidence: string[]; expiresAt: number }> {
  const res = await fetch(`${config.tokenUrl}?role=${encodeURIComponent(role)}`);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

const field = (label: string, control: ReactNode) => h('label', { className: 'af-field' }, h('span', { className: 'af-label' }, label), control);

function Bar(props: { credentials: Credentials; setCredentials(c: Credentials): void; onExample(key: string): void; status: string }) {
  const { credentials: c, setCredentials } = props;
  const [example, setExample] = useState('');
  const pickRole = async (role: string) => {
    if (!role) {
      sessionStorage.removeItem(ROLE_KEY);
      return setCredentials({ ...c, role: '', token: '', sub: undefined, expiresAt: undefined });
    }
    sessionStorage.setItem(ROLE_KEY, role);
    const minted = await fetchDevToken(role);
    // A requester comes with its typical purpose and evidence; both stay editable.
    setCredentials({ ...c, role, token: minted.token, sub: minted.sub, expiresAt: minted.expiresAt, purpose: minted.purpose, evidence: minted.evidence.join('; ') });
  };
  const purposeOptions = [h('option', { key: '', value: '' }, '— 未声明 none —'), ...config.purposes.map((p) => h('option', { key: p.code, value: p.code }, `${p.nameZh} ${p.code}`))];
  const roleOptions = [h('option', { key: '', value: '' }, '— 匿名 anonymous —'), ...config.roles.map((r) => h('option', { key: r.key, value: r.key }, `${r.labelZh} ${r.key}`))];
  const exampleOptions = [h('option', { key: '', value: '' }, '— 选择示例 pick an example —'), ...config.examples.map((e) => h('option', { key: e.key, value: e.key }, e.title))];
  const selected = config.examples.find((e) => e.key === example);
  return h(
    'header',
    { className: 'af-bar' },
    h('strong', { className: 'af-title' }, '档案联邦 Explorer'),
    field(
      '示例 Example',
      h('select', { id: 'example', value: example, onChange: (e: { target: HTMLSelectElement }) => (setExample(e.target.value), e.target.value && props.onExample(e.target.value)) }, exampleOptions),
    ),
    selected ? h('span', { className: 'af-hint' }, `${selected.department} · try: ${selected.suggestedRole}`) : null,
    config.devTokens
      ? field('角色 Role', h('select', { id: 'role', value: c.role, onChange: (e: { target: HTMLSelectElement }) => void pickRole(e.target.value).catch((err) => alert(err.message)) }, roleOptions))
      : null,
    field('令牌 Token', h('input', { id: 'token', className: 'af-token', value: c.token, placeholder: 'Bearer JWT', spellCheck: false, onChange: (e: { target: HTMLInputElement }) => (sessionStorage.removeItem(ROLE_KEY), setCredentials({ ...c, role: '', token: e.target.value.trim() })) })),
    field('用途 X-Access-Purpose', h('select', { id: 'purpose', value: c.purpose, onChange: (e: { target: HTMLSelectElement }) => setCredentials({ ...c, purpose: e.target.value }) }, purposeOptions)),
    field('证明 X-Evidence', h('input', { id: 'evidence', className: 'af-token', value: c.evidence, placeholder: config.evidenceKinds.map((k) => k.kind).join(' | ') + '=…', onChange: (e: { target: HTMLInputElement }) => setCredentials({ ...c, evidence: e.target.value }) })),
    field('审批 X-Access-Grant', h('input', { id: 'grant', value: c.grant, placeholder: 'G-…', onChange: (e: { target: HTMLInputElement }) => setCredentials({ ...c, grant: e.target.value.trim() }) })),
    h('span', { id: 'releases', className: 'af-hint' }, releasesOf(c)),
    h('span', { id: 'token-status', className: 'af-status' }, props.status),
    h('nav', { className: 'af-links' }, h('a', { href: config.auditUrl }, '审计 Audit'), ' · ', h('a', { href: config.sandboxUrl }, 'Apollo Sandbox (online)')),
  );
}

/** What the chosen requester, purpose and evidence release, as the access rules say. */
function releasesOf(c: Credentials): string {
  const purpose = config.purposes.find((p) => p.code === c.purpose);
  if (!purpose) return '未声明用途 no purpose: nothing the rules govern is released';
  const category = config.roles.find((r) => r.key === c.role)?.category;
  const user = category ? purpose.users.find((u) => u.category === category) : undefined;
  const presented = new Set(c.evidence.split(';').map((p) => p.split('=')[0].trim()).filter(Boolean));
  const missing = user?.evidence.filter((k) => !presented.has(k)) ?? [];
  const needs = !category ? '' : !user ? ' · not for this category' : user.grant && !c.grant ? ' · needs the archive\'s approval (X-Access-Grant)' : missing.length ? ` · missing evidence: ${missing.join(', ')}` : ' · ok';
  return `${purpose.nameZh} releases ${purpose.fields.join(' ')}${needs}`;
}

function statusOf(c: Credentials): string {
  if (!c.token) return '匿名 anonymous: record fields come back null';
  if (!c.role) return '自带令牌 own token';
  const until = c.expiresAt ? new Date(c.expiresAt * 1000).toLocaleTimeString() : '?';
  const role = config.roles.find((r) => r.key === c.role);
  return `${c.sub} · ${role?.category} · ${role?.scopes.join(' ')} · until ${until}`;
}

function Explorer() {
  const [credentials, setCredentials] = useState<Credentials>({ role: '', token: '', purpose: '', evidence: '', grant: '' });
  // A first visit opens the first example; later visits keep GraphiQL's stored tabs (the editors
  // become controlled once an example is picked). Set here rather than through GraphiQL's
  // `defaultTabs`, which fills the query editor but not the variables editor (GraphiQL 3.9).
  const [fresh] = useState(() => !localStorage.getItem(TABS_KEY));
  const [query, setQuery] = useState<string | undefined>(fresh ? config.examples[0].query : undefined);
  const [variables, setVariables] = useState<string | undefined>(fresh ? config.examples[0].variables : undefined);
  // The fetcher reads the credentials through a ref: a new fetcher would make GraphiQL fetch the schema again.
  const current = useRef(credentials);
  current.current = credentials;
  const fetcher = useCallback<Fetcher>(async (params, opts) => {
    const res = await fetch(config.graphqlUrl, {
      method: 'POST',
      // Headers typed in GraphiQL's own headers editor win over the bar's.
      headers: { 'content-type': 'application/json', accept: 'application/json', ...requestHeaders(current.current), ...(opts?.headers ?? {}) },
      body: JSON.stringify(params),
    });
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      return { errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 500)}` }] };
    }
  }, []);

  // Restore the role chosen earlier in this tab (a new token is minted: the old one may have expired).
  useEffect(() => {
    const role = sessionStorage.getItem(ROLE_KEY);
    if (!config.devTokens || !role || !config.roles.some((r) => r.key === role)) return;
    fetchDevToken(role)
      .then((m) => setCredentials((c) => ({ ...c, role, token: m.token, sub: m.sub, expiresAt: m.expiresAt, purpose: c.purpose || m.purpose, evidence: c.evidence || m.evidence.join('; ') })))
      .catch(() => sessionStorage.removeItem(ROLE_KEY));
  }, []);

  const onExample = (key: string) => {
    const example = config.examples.find((e) => e.key === key)!;
    setQuery(example.query);
    setVariables(example.variables);
  };
  return h(
    'div',
    { className: 'af-app' },
    h(Bar, { credentials, setCredentials, onExample, status: statusOf(credentials) }),
    h(
      'main',
      { className: 'af-graphiql' },
      h(GraphiQL, {
        fetcher,
        query,
        variables,
        onEditQuery: setQuery,
        onEditVariables: setVariables,
        defaultEditorToolsVisibility: 'variables',
        shouldPersistHeaders: false,
        isHeadersEditorEnabled: true,
      }),
    ),
  );
}

createRoot(document.getElementById('root')!).render(h(Explorer));

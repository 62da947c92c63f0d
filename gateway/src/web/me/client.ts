/// <reference lib="dom" />
/**
 * The citizens' page (谁查了我的档案 Who looked at my records): sign in with a token holding
 * `self`, list the accesses to one's own records from /me/graphql, newest first, page by page.
 * Plain DOM code like the audit page, bundled by the gateway (../bundle.ts); no external asset.
 */
import '../auditor/auditor.css';
import './me.css';
import { el, localTime } from '../auditor/view';
import { graphqlCall, statusLine } from '../graphql-client';
import type { MeConfig } from './config';

const config = JSON.parse(document.getElementById('page-config')!.textContent!) as MeConfig;
const TOKEN_KEY = 'archive-federation.me.token';
const PAGE_SIZE = 20;

/** One access, as `myAccessHistory` returns it. */
interface Access {
  time: string;
  organisation: string | null;
  category: string | null;
  purpose: string | null;
  departments: string[];
  fields: string[];
  fromCache: boolean;
  outcome: string;
}

/** Chinese and English names of the departments (subgraph names). */
const DEPARTMENTS: Record<string, string> = {
  'social-security': '社会保障 Social security',
  'real-estate': '不动产登记 Real estate',
  marriage: '婚姻登记 Marriage',
  'medical-insurance': '医疗保障 Medical insurance',
};

const QUERY = `query MyAccessHistory($first: Int, $after: String) {
  myAccessHistory(first: $first, after: $after) {
    edges { node { time organisation category purpose departments fields fromCache outcome } }
    pageInfo { hasNextPage endCursor }
  }
}`;

let token: string | null = null;
let shown: Access[] = [];
let cursor: string | null = null;

const { message, say, run } = statusLine(() => signOut());
const results = el('div', { id: 'results' });
const more = el('button', { id: 'more', type: 'button', hidden: true, onclick: () => void run(() => load(true)) }, '加载更多 Load more');

async function call(variables: Record<string, unknown>) {
  type History = { myAccessHistory: { edges: Array<{ node: Access }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
  return (await graphqlCall<History>(config.apiUrl, token, QUERY, variables)).myAccessHistory;
}

/** The token's `sub` (the citizen's ID number), for display only: the gateway verifies the token. */
function subOf(jwt: string): string {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)))).sub ?? '?';
  } catch {
    return '?';
  }
}

// ---- sign in ----
const tokenInput = el('textarea', { id: 'token-input', rows: 3, placeholder: 'eyJhbGciOi…', spellcheck: 'false' });
const loginBox = el(
  'section',
  { id: 'login', className: 'card' },
  el('h2', {}, '登录 Sign in'),
  el('label', { for: 'token-input' }, '令牌 Token (JWT, scope self)'),
  tokenInput,
  el(
    'div',
    { className: 'buttons' },
    el('button', { id: 'sign-in', type: 'button', onclick: () => void run(() => signIn(tokenInput.value.trim())) }, '登录 Sign in'),
    config.devTokens ? el('button', { id: 'use-citizen', type: 'button', className: 'secondary', onclick: () => void run(useDemoCitizen) }, '使用演示公民 Use the demo citizen (development)') : null,
  ),
);
const sessionBox = el('section', { id: 'session', hidden: true });

async function useDemoCitizen(): Promise<void> {
  const res = await fetch(`${config.tokenUrl}?role=citizen`);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  await signIn(body.token);
}

async function signIn(value: string): Promise<void> {
  if (!value) return say('请粘贴令牌 Paste a token first.', 'error');
  token = value;
  sessionStorage.setItem(TOKEN_KEY, value);
  sessionBox.replaceChildren(
    el('span', {}, '已登录 Signed in: ', el('strong', { id: 'whoami' }, subOf(value))),
    el('button', { id: 'sign-out', type: 'button', className: 'secondary', onclick: signOut }, '退出 Sign out'),
  );
  loginBox.hidden = true;
  sessionBox.hidden = false;
  await load(false);
}

function signOut(): void {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  loginBox.hidden = false;
  sessionBox.hidden = true;
  results.replaceChildren();
  more.hidden = true;
}

// ---- history ----
const list = (items: string[]) => (items.length ? items.join(', ') : '—');

function historyTable(rows: Access[]): HTMLTableElement {
  const head = ['时间 Time', '机构 Organisation', '类别 Category', '用途 Purpose', '部门 Departments', '字段 Fields', '来源 Source'];
  return el(
    'table',
    { className: 'results', id: 'history' },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el(
      'tbody',
      {},
      ...rows.map((a) =>
        el(
          'tr',
          {},
          el('td', { className: 'time' }, localTime(a.time)),
          el('td', {}, a.organisation ?? '—'),
          el('td', {}, a.category ?? '—'),
          el('td', {}, a.purpose ?? '—'),
          el('td', {}, list(a.departments.map((d) => DEPARTMENTS[d] ?? d))),
          el('td', { className: 'mono small' }, list(a.fields)),
          el('td', { className: 'nowrap' }, a.fromCache ? '缓存 Cache' : '部门 Departments'),
        ),
      ),
    ),
  );
}

async function load(next: boolean): Promise<void> {
  if (!token) return;
  if (!next) {
    shown = [];
    cursor = null;
    say('查询中 Loading…');
  }
  const page = await call({ first: PAGE_SIZE, after: cursor });
  shown = [...shown, ...page.edges.map((e) => e.node)];
  cursor = page.pageInfo.endCursor;
  results.replaceChildren(shown.length ? historyTable(shown) : el('p', { id: 'empty', className: 'card' }, '暂无他人查询记录 Nobody else has looked at your records.'), more);
  more.hidden = !page.pageInfo.hasNextPage;
  say(`${shown.length}${page.pageInfo.hasNextPage ? '+' : ''} 次查询 accesses (newest first).`);
}

// ---- page ----
document.getElementById('root')!.replaceChildren(
  el(
    'main',
    {},
    el('header', { className: 'top' }, el('h1', {}, '谁查了我的档案 Who looked at my records'), el('span', { className: 'muted' }, `档案联邦 archive-federation · ${config.apiUrl}`)),
    el(
      'p',
      { className: 'intro muted' },
      '这里列出其他机构对您档案的每一次查询：时间、机构、用途、涉及的部门和字段，不显示经办人个人身份；您本人的查询不列出。依法保密的查询（如公安、国家安全机关的侦查）在规定期限后显示。',
      el('br'),
      'Every access to your records by others: when, which organisation, for what purpose, which departments and fields were released — never the clerk personally; your own queries are not listed. Accesses under a legal non-disclosure rule (public or state security investigations) appear after a set delay.',
    ),
    loginBox,
    sessionBox,
    message,
    results,
  ),
);

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void run(() => signIn(saved));

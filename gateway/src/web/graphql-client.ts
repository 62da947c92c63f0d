/// <reference lib="dom" />
/**
 * What the gateway's pages (audit page, citizens' page) share in the browser: one GraphQL call
 * with a token, its errors with their codes, and the status line that shows them.
 */
/** A GraphQL error from one of the gateway's APIs, with its code (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, …). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** POSTs `query` to `url` with `token`; the data, or an ApiError carrying the first error's code. */
export async function graphqlCall<T>(url: string, token: string | null, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  let body: { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`The server answered HTTP ${res.status} without JSON.`);
  }
  if (body.errors?.length) throw new ApiError(body.errors.map((e) => e.message).join(' '), body.errors[0].extensions?.code);
  return body.data!;
}

/**
 * The page's status line (`#message`) and `run`, which runs an action and shows its error there,
 * calling `signOut` when the token is refused (back to the sign-in form).
 */
export function statusLine(signOut: () => void) {
  const message = document.createElement('div');
  message.id = 'message';
  message.setAttribute('role', 'status');
  const say = (text: string, kind: 'info' | 'error' = 'info'): void => {
    message.textContent = text;
    message.className = kind;
  };
  const run = async (action: () => Promise<void>): Promise<void> => {
    try {
      await action();
    } catch (err) {
      const code = err instanceof ApiError ? err.code : undefined;
      if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') signOut();
      say(`${code ? `${code}: ` : ''}${(err as Error).message}`, 'error');
    }
  };
  return { message, say, run };
}

// The REST API at /api/v1, with the credentials of whoever logged in. They live in this module's memory only,
// never in the browser's storage, so a reload or closing the tab logs out.

const BASE = '/api/v1';

let authorization = null;

/** An answer of the API other than 2xx, with its RFC 9457 problem (status, title, detail, code) when it sent one. */
export class ApiError extends Error {
  constructor(status, problem, path) {
    super(describe(status, problem, path));
    this.status = status;
    this.code = problem && problem.code;
    this.problem = problem;
  }
}

function describe(status, problem, path) {
  if (problem && (problem.detail || problem.code)) {
    const title = problem.title || `HTTP ${status}`;
    return `${status} ${title}: ${problem.detail || ''}${problem.code ? ` (${problem.code})` : ''}`;
  }
  return `${status} from ${path}`;
}

/** Basic credentials of a Karaf user, as the API's HTTP Basic login takes them (UTF-8). */
export function basic(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = '';
  bytes.forEach((b) => { binary += String.fromCharCode(b); });
  return `Basic ${btoa(binary)}`;
}

export function bearer(token) {
  return `Bearer ${token}`;
}

export function setCredentials(value) {
  authorization = value;
}

export function loggedIn() {
  return authorization !== null;
}

/**
 * Calls the API and returns its JSON (null for 204). Credentials go in the Authorization header only, with
 * credentials: 'omit', so that the browser sends no stored credentials and shows no its own login dialog on a 401.
 */
export async function call(method, path, body) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (authorization) {
    headers.Authorization = authorization;
  }
  const init = { method, headers, credentials: 'omit', cache: 'no-cache' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch (e) {
    throw new ApiError(0, { title: 'Unreachable', detail: `the API at ${BASE} did not answer (${e.message})` }, path);
  }
  if (response.status === 204) {
    return null;
  }
  const type = response.headers.get('Content-Type') || '';
  const json = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    throw new ApiError(response.status, json, path);
  }
  return json;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);

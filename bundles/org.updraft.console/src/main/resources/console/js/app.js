// The console's shell: login, navigation between views (by the URL's fragment), errors shown readably.

import { get, basic, bearer, setCredentials, loggedIn, ApiError } from './api.js';
import * as views from './views.js';

const $ = (id) => document.getElementById(id);

const ROLES = ['viewer', 'operator', 'admin'];
let ctx = null;
let stopView = () => {};

function showError(error) {
  const box = $('error');
  box.textContent = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  box.className = 'bad';
  box.hidden = false;
}

function notify(text) {
  const box = $('error');
  box.textContent = text;
  box.className = 'ok';
  box.hidden = false;
}

function clearMessage() {
  $('error').hidden = true;
}

/** A failure in a view: shown; a 401 (a revoked token, a changed password) ends the session. */
function fail(error) {
  if (error instanceof ApiError && error.status === 401) {
    logout();
  }
  showError(error);
}

async function login(event) {
  event.preventDefault();
  clearMessage();
  const user = $('login-user').value.trim();
  const password = $('login-password').value;
  const token = $('login-token').value.trim();
  if (!token && !user) {
    showError('Enter a user and password, or an API token.');
    return;
  }
  setCredentials(token ? bearer(token) : basic(user, password));
  // the form forgets what was typed; only api.js's memory keeps the credentials
  $('login-form').reset();
  try {
    const caller = await get('/caller');
    ctx = {
      caller,
      canOperate: ROLES.indexOf(caller.role) >= ROLES.indexOf('operator'),
      fail,
      notify,
    };
    $('whoami').textContent = `${caller.name} (${caller.role}${caller.token ? ', API token' : ''})`;
    $('login').hidden = true;
    $('nav').hidden = false;
    $('session').hidden = false;
    $('view').hidden = false;
    if (!location.hash || location.hash === '#') {
      location.hash = '#rollouts';
    } else {
      route();
    }
  } catch (e) {
    setCredentials(null);
    showError(e);
  }
}

function logout() {
  stopView();
  stopView = () => {};
  setCredentials(null);
  ctx = null;
  $('view').replaceChildren();
  $('view').hidden = true;
  $('nav').hidden = true;
  $('session').hidden = true;
  $('login').hidden = false;
}

function route() {
  if (!loggedIn() || !ctx) {
    return;
  }
  stopView();
  clearMessage();
  const [name, ...rest] = location.hash.replace(/^#/, '').split('/');
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : null;
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('current', a.getAttribute('href') === `#${name === 'device' ? 'devices' : name}`);
  }
  const container = $('view');
  switch (name) {
    case 'fleet': stopView = views.fleet(container, ctx); break;
    case 'releases': stopView = views.releases(container, ctx); break;
    case 'devices': stopView = views.devices(container, ctx, arg); break;
    case 'device': stopView = views.device(container, ctx, arg || ''); break;
    case 'health': stopView = views.health(container, ctx); break;
    default: stopView = views.rollouts(container, ctx); break;
  }
}

$('login-form').addEventListener('submit', login);
$('logout').addEventListener('click', () => {
  logout();
  clearMessage();
});
window.addEventListener('hashchange', route);

// The console's views. Each renders into its container and returns a function that stops it (its polling).
// ctx: { caller: {name, role}, canOperate: boolean, fail(error), notify(text) }

import { get, post, ApiError } from './api.js';
import { h, table, cell, replace } from './dom.js';

/** How often each view asks again: rollouts move fast; the fleet's counts read the whole registry. */
const POLL_MS = { rollouts: 2000, releases: 5000, health: 5000, fleet: 10000 };
const FINAL = new Set(['completed', 'cancelled']);
/** The newest this many rollouts and releases are shown: each costs a request per refresh (the API limits a caller's rate). */
const SHOWN = 20;

/** Runs refresh now and every intervalMs until stopped; a failure is shown and polling goes on (unless logged out). */
function poll(refresh, ctx, intervalMs) {
  let timer = null;
  let stopped = false;
  const loop = async () => {
    try {
      await refresh();
    } catch (e) {
      ctx.fail(e);
      if (e instanceof ApiError && e.status === 401) {
        return;
      }
    }
    if (!stopped) {
      timer = setTimeout(loop, intervalMs);
    }
  };
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

const seg = (id) => id.split('/').map(encodeURIComponent).join('/');

// ---------------------------------------------------------------- fleet

export function fleet(container, ctx) {
  return poll(async () => {
    const f = await get('/fleet');
    const rows = (m) => Object.entries(m).map(([k, n]) => [k === '' ? h('span', { class: 'muted' }, '(none)') : k, n]);
    replace(container,
      h('h2', {}, 'Fleet'),
      h('p', { id: 'fleet-total' }, `${f.devices.toLocaleString('en')} registered devices`),
      h('div', { class: 'grid' },
        h('div', {}, h('h3', {}, 'By class'), table(['class', 'devices'], rows(f.classes), { id: 'fleet-classes' })),
        h('div', {}, h('h3', {}, 'By version'), table(['class', 'version', 'devices'],
          f.versions.map((v) => [v.class, v.version, v.devices]), { id: 'fleet-versions' })),
        h('div', {}, h('h3', {}, 'By region'), table(['region', 'devices'], rows(f.regions), { id: 'fleet-regions' })),
        h('div', {}, h('h3', {}, 'By state'), table(['state', 'devices'], rows(f.states), { id: 'fleet-states' }))));
  }, ctx, POLL_MS.fleet);
}

// ---------------------------------------------------------------- rollouts

/**
 * Rollouts with their waves' progress, polled. Each rollout's section stays in place between polls (its buttons
 * too, unless its state changed), so a click is not lost to a refresh.
 */
export function rollouts(container, ctx) {
  const sections = new Map();
  const list = h('div', { id: 'rollout-list' });
  replace(container, h('h2', {}, 'Rollouts'), list);
  const refresh = async () => {
    const { rollouts: every } = await get('/rollouts');
    every.sort((a, b) => (b.created || '').localeCompare(a.created || ''));
    const all = every.slice(0, SHOWN);
    if (all.length === 0) {
      replace(list, h('p', { class: 'muted' }, 'No rollouts yet.'));
      sections.clear();
      return;
    }
    const shown = [];
    for (const r of all) {
      let section = sections.get(r.id);
      if (!section) {
        section = rolloutSection(r, ctx, refreshNow);
        sections.set(r.id, section);
      }
      shown.push(section.node);
      // progress of the finished ones once; of the others at every poll
      if (!FINAL.has(r.state) || !section.final) {
        const progress = await get(`/rollouts/${encodeURIComponent(r.id)}/progress`);
        section.update(progress.rollout, progress);
      }
    }
    if (every.length > all.length) {
      shown.push(older);
      older.textContent = `${every.length - all.length} older rollouts not shown (updraft:rollout-list, GET /api/v1/rollouts)`;
    }
    if (list.children.length !== shown.length || shown.some((n, i) => list.children[i] !== n)) {
      replace(list, shown);
    }
  };
  const older = h('p', { class: 'muted' });
  let stop = null;
  const refreshNow = () => refresh().catch(ctx.fail);
  stop = poll(refresh, ctx, POLL_MS.rollouts);
  return () => stop();
}

function rolloutSection(r, ctx, refreshNow) {
  const state = h('span', { class: 'rollout-state' });
  const reason = h('span', { class: 'rollout-reason muted' });
  const installed = h('span', { class: 'rollout-installed' });
  const actions = h('div', { class: 'actions' });
  const waves = h('div', { class: 'waves' });
  const node = h('section', { class: 'rollout', dataset: { rollout: r.id } },
    h('h3', {}, `${r.id} `, h('span', { class: 'muted' }, `release ${r.release}`)),
    h('p', {}, 'State: ', state, ' ', reason, ' · ', installed),
    actions, waves);
  const section = { node, final: false, shownState: null };

  const act = (verb, body) => async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      const after = await post(`/rollouts/${encodeURIComponent(r.id)}/${verb}`, body);
      ctx.notify(`Rollout ${r.id}: ${after.state}`);
      await refreshNow();
    } catch (e) {
      ctx.fail(e);
      button.disabled = false;
    }
  };

  section.update = (rollout, progress) => {
    state.textContent = rollout.state;
    state.className = `rollout-state state-${rollout.state}`;
    reason.textContent = rollout.reason ? `(${rollout.reason})` : '';
    section.final = FINAL.has(rollout.state);
    if (ctx.canOperate && section.shownState !== rollout.state) {
      const buttons = [];
      if (rollout.state === 'draft') {
        buttons.push(h('button', { type: 'button', class: 'action-start', dataset: { rollout: r.id }, onclick: act('start') }, 'Start'));
      }
      if (rollout.state === 'running') {
        buttons.push(h('button', { type: 'button', class: 'action-pause', dataset: { rollout: r.id },
          onclick: act('pause', { reason: `paused from the web console by ${ctx.caller.name}` }) }, 'Pause'));
      }
      if (rollout.state === 'paused') {
        buttons.push(h('button', { type: 'button', class: 'action-resume', dataset: { rollout: r.id }, onclick: act('resume') }, 'Resume'));
      }
      replace(actions, buttons);
    }
    section.shownState = rollout.state;
    let members = 0;
    let done = 0;
    const rows = progress.waves.map((w) => {
      members += w.members;
      done += w.installed;
      return h('tr', { class: 'wave', dataset: { wave: w.name } },
        cell(w.name), cell(w.status), cell(w.members), cell(w.offered), cell(w.downloading), cell(w.downloaded),
        h('td', { class: 'number installed' }, String(w.installed)), cell(w.failed), cell(w.rolledBack),
        h('td', {}, h('progress', { max: Math.max(1, w.members), value: w.installed })));
    });
    installed.textContent = `${done} of ${members} installed`;
    installed.dataset.installed = String(done);
    replace(waves, table(['wave', 'status', 'members', 'offered', 'downloading', 'downloaded', 'installed',
      'failed', 'rolled back', ''], rows),
    h('p', { class: 'muted' }, `${(progress.bytesServed / 1048576).toFixed(2)} MiB served`));
  };
  return section;
}

// ---------------------------------------------------------------- releases

export function releases(container, ctx) {
  const proofs = new Map();
  return poll(async () => {
    const { releases: every } = await get('/releases');
    every.sort((a, b) => (b.published || '').localeCompare(a.published || ''));
    const all = every.slice(0, SHOWN);
    const rows = [];
    for (const r of all) {
      if (!proofs.has(r.id) || !proofs.get(r.id).final) {
        proofs.set(r.id, await proofStatus(r));
      }
      rows.push(h('tr', { class: 'release', dataset: { release: r.id } },
        cell(r.id), cell(r.version), cell(r.size), h('td', { class: 'mono' }, r.cid),
        h('td', { class: 'mono' }, r.signer), cell(r.ledgerIndex), proofs.get(r.id).cell.cloneNode(true)));
    }
    replace(container, h('h2', {}, 'Releases'),
      all.length === 0 ? h('p', { class: 'muted' }, 'No releases yet.')
        : table(['release', 'version', 'bytes', 'CID', 'signer', 'ledger #', 'ledger proof'], rows,
          { id: 'release-table' }),
      every.length > all.length ? h('p', { class: 'muted' }, `${every.length - all.length} older releases not shown `
        + '(updraft:release-list, GET /api/v1/releases)') : null);
  }, ctx, POLL_MS.releases);
}

/** The release's inclusion proof, checked by the API against the latest signed checkpoint. */
async function proofStatus(r) {
  try {
    const p = await get(`/releases/${seg(r.id)}/proof`);
    return { final: true, cell: h('td', { class: 'proof ok' }, `verified in the checkpoint of ${p.checkpoint.treeSize} events`) };
  } catch (e) {
    if (e instanceof ApiError && e.code === 'unknown-event') {
      return { final: false, cell: h('td', { class: 'proof muted' }, 'not in a signed checkpoint yet') };
    }
    return { final: false, cell: h('td', { class: 'proof bad' }, e.message) };
  }
}

// ---------------------------------------------------------------- devices

export function devices(container, ctx, cursor) {
  const form = h('form', { id: 'device-find' },
    h('label', {}, 'Device id ', h('input', { id: 'device-id', name: 'id', required: true })),
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#device/${encodeURIComponent(form.elements.id.value.trim())}`;
  });
  const listing = h('div');
  replace(container, h('h2', {}, 'Devices'), form, listing);
  (async () => {
    const page = await get(`/devices?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    const rows = page.devices.map((d) => [h('td', {}, h('a', { href: `#device/${encodeURIComponent(d.id)}` }, d.id)),
      d.class, d.version, d.region, d.state, d.lastSeen]);
    replace(listing, table(['device', 'class', 'version', 'region', 'state', 'last seen'], rows, { id: 'device-table' }),
      page.next ? h('a', { href: `#devices/${encodeURIComponent(page.next)}` }, 'Next 100') : null);
  })().catch(ctx.fail);
  return () => {};
}

/** One device: what the registry says, and its history from the ledger, newest first. */
export function device(container, ctx, id) {
  const history = h('div', { id: 'device-history' });
  replace(container, h('h2', {}, `Device ${id}`), h('div', { id: 'device-record' }), history);
  (async () => {
    try {
      const d = await get(`/devices/${encodeURIComponent(id)}`);
      replace(container.querySelector('#device-record'), table(['', ''], [
        ['key', h('td', { class: 'mono' }, d.key)], ['vendor', d.vendor], ['class', d.class], ['profile', d.profile],
        ['region', d.region], ['tags', d.tags.join(', ')], ['version', `${d.version} (sequence ${d.sequence})`],
        ['state', d.state], ['last seen', d.lastSeen], ['registered', d.registered]]));
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'unknown-device')) {
        throw e;
      }
      replace(container.querySelector('#device-record'), h('p', { class: 'muted' },
        'Not in the registry (removed, or never registered); its history on the ledger follows.'));
    }
    await moreHistory(history, id, null);
  })().catch(ctx.fail);
  return () => {};
}

async function moreHistory(container, id, before) {
  const page = await get(`/devices/${encodeURIComponent(id)}/history?limit=50${before === null ? '' : `&before=${before}`}`);
  const rows = page.events.map((e) => h('tr', { class: 'history-event', dataset: { type: e.type } },
    cell(e.index), cell(e.time), cell(e.type), cell(e.rollout || ''), cell(e.release || ''),
    cell(e.deviceState || ''), cell(e.reason || ''), cell(e.version || ''),
    h('td', { class: e.verified === false ? 'bad' : (e.verified ? 'ok' : 'muted') },
      e.type !== 'device.reported' ? '' : (e.verified === null ? 'not checked (device not registered)'
        : (e.verified ? 'signed by the device' : 'NOT signed by the device\'s key')))));
  const more = page.next === null ? null : h('button', { type: 'button', onclick: async (ev) => {
    ev.currentTarget.remove();
    await moreHistory(container, id, page.next);
  } }, 'Older events');
  if (before === null) {
    replace(container, h('h3', {}, 'History on the ledger'),
      page.events.length === 0 ? h('p', { class: 'muted' }, 'No event about this device on the ledger.')
        : table(['#', 'time', 'event', 'rollout', 'release', 'state', 'reason', 'version', 'report'], rows,
          { id: 'history-table' }), more);
  } else {
    container.querySelector('#history-table tbody').append(...rows);
    if (more) {
      container.append(more);
    }
  }
}

// ---------------------------------------------------------------- health

export function health(container, ctx) {
  const verify = h('div', { id: 'ledger-verify' });
  const button = h('button', { type: 'button', id: 'verify-ledger', onclick: async () => {
    button.disabled = true;
    replace(verify, h('span', { class: 'muted' }, 'recomputing the whole ledger...'));
    try {
      const v = await get('/ledger/verify');
      replace(verify, h('span', { class: 'ok' }, `consistent: ${v.events} events, ${v.checkpoints} checkpoints, root ${v.rootHash}`));
    } catch (e) {
      replace(verify, h('span', { class: 'bad' }, e.message));
    } finally {
      button.disabled = false;
    }
  } }, 'Verify the whole ledger');
  const status = h('div', { id: 'status' });
  replace(container, h('h2', {}, 'Store and ledger health'), status, h('h3', {}, 'Ledger audit'), button, verify);
  return poll(async () => {
    const s = await get('/status');
    const yes = (ok, text) => h('td', { class: ok ? 'ok' : 'bad' }, text);
    replace(status,
      h('h3', {}, 'Backends'),
      table(['capability', 'kind', 'running', 'detail'], s.backends.map((b) => [b.capability, b.kind,
        yes(b.running, b.running ? 'running' : `not running (feature ${b.feature})`), b.detail])),
      h('h3', {}, 'Ledger'),
      table(['', ''], [['running', yes(s.ledger.running, String(s.ledger.running))], ['events', s.ledger.size],
        ['log key', h('td', { class: 'mono' }, s.ledger.logKey || s.ledger.detail || '')]], { id: 'ledger-health' }),
      h('h3', {}, 'Stores'),
      table(['kind', 'available', 'objects', 'bytes', 'detail'], s.stores.map((st) => [st.kind,
        yes(st.available, st.available ? 'up' : 'unreachable'), st.objects, st.bytes, st.detail]), { id: 'store-health' }),
      h('h3', {}, 'Registry and transports'),
      table(['', ''], [['registry', yes(s.registry.running, s.registry.detail || '')], ['devices', s.registry.devices],
        ['releases', s.releases], ['rollouts', JSON.stringify(s.rollouts)],
        ...s.transports.map((t) => [`transport ${t.kind}`, t.status])]));
  }, ctx, POLL_MS.health);
}

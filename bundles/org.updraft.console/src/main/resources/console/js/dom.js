// Building the page from data with DOM calls only: text always goes in as text (textContent), never as HTML, so
// nothing a device, a release or a ledger event says can become markup or script.

/** h('td', {class: 'number'}, 12) — an element with attributes and children (strings, numbers, nodes, arrays). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(element, child);
    } else if (child instanceof Node) {
      element.appendChild(child);
    } else {
      element.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** A table with a header row; each row is an array of cells (a cell: a value or a td node). */
export function table(headings, rows, attributes = {}) {
  return h('table', attributes,
    h('thead', {}, h('tr', {}, headings.map((t) => h('th', {}, t)))),
    h('tbody', {}, rows.map((row) => (row instanceof Node ? row : h('tr', {}, row.map(cell))))));
}

export function cell(value) {
  if (value instanceof Node && value.nodeName === 'TD') {
    return value;
  }
  if (typeof value === 'number') {
    return h('td', { class: 'number' }, value.toLocaleString('en'));
  }
  return h('td', {}, value === null || value === undefined ? '' : value);
}

export function replace(container, ...children) {
  container.replaceChildren();
  append(container, children);
}

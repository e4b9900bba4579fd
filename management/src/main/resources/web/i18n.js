// The web manager's languages: one message catalogue per language (/i18n/<lang>.json, flat keys, {name} placeholders),
// chosen from the browser's languages unless the user picked one (kept in localStorage); numbers, sizes and times go
// through Intl for that locale. Every user-visible text of the page comes from t() (or data-i18n in index.html).
'use strict';

const I18N = {
  // Each language by its own name, so that a reader of any language finds theirs in the chooser.
  languages: { en: 'English', de: 'Deutsch', ja: '日本語' },
  lang: 'en',
  catalogue: {},
  fallback: {},
};

// The user's pick, else the first of the browser's languages we have, else English.
function chooseLanguage() {
  const picked = localStorage.getItem('viridian.lang');
  if (picked && I18N.languages[picked]) return picked;
  for (const l of navigator.languages || [navigator.language]) {
    const base = String(l).toLowerCase().split('-')[0];
    if (I18N.languages[base]) return base;
  }
  return 'en';
}

async function loadCatalogue(lang) {
  const r = await fetch('/i18n/' + lang + '.json');
  if (!r.ok) throw new Error('HTTP ' + r.status + ' for the ' + lang + ' catalogue');
  return r.json();
}

async function initI18n() {
  I18N.lang = chooseLanguage();
  I18N.fallback = await loadCatalogue('en');
  I18N.catalogue = I18N.lang === 'en' ? I18N.fallback : await loadCatalogue(I18N.lang);
  document.documentElement.lang = I18N.lang;
  applyI18n(document);
}

// A key's text with its {placeholders} filled; a missing key falls back to English, then to the key itself (visible,
// so that it gets noticed). With a count, the plural form for the locale is looked up first (key.one, key.other).
function t(key, params = {}) {
  if (typeof params.count === 'number') {
    const plural = key + '.' + new Intl.PluralRules(I18N.lang).select(params.count);
    if (plural in I18N.catalogue || plural in I18N.fallback) key = plural;
    else if ((key + '.other') in I18N.fallback) key = key + '.other';
  }
  const text = I18N.catalogue[key] ?? I18N.fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => name in params ? String(params[name]) : m);
}

// Like t, for texts with elements inside (a link, a code sample): a list of strings and the given nodes.
function tNodes(key, params = {}) {
  const text = I18N.catalogue[key] ?? I18N.fallback[key] ?? key;
  return text.split(/(\{\w+\})/).filter(s => s !== '').map(s => {
    const m = /^\{(\w+)\}$/.exec(s);
    return m && m[1] in params ? params[m[1]] : s;
  });
}

// Static markup names its texts with data-i18n (text), data-i18n-placeholder and data-i18n-aria-label.
function applyI18n(root) {
  root.querySelectorAll('[data-i18n]').forEach(el => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach(el => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  root.querySelectorAll('[data-i18n-aria-label]').forEach(el => el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel)));
  if (root === document) document.title = t('app.title');
}

// The chooser in the header: a pick is kept and the page drawn again in that language.
function languageChooser() {
  const sel = document.createElement('select');
  sel.id = 'language';
  sel.setAttribute('aria-label', t('lang.label'));
  for (const [code, name] of Object.entries(I18N.languages)) {
    const o = document.createElement('option');
    o.value = code;
    o.lang = code;
    o.textContent = name;
    o.selected = code === I18N.lang;
    sel.append(o);
  }
  sel.onchange = () => { localStorage.setItem('viridian.lang', sel.value); location.reload(); };
  return sel;
}

// ---- formats for the locale --------------------------------------------------------------------------------------
const fmt = {
  number: (n, digits = 0) => new Intl.NumberFormat(I18N.lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n),
  percent: p => new Intl.NumberFormat(I18N.lang, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(p / 100),
  // Binary units, as the service writes sizes (64M = 64 MiB); the number in the locale's digits and separators.
  bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return fmt.number(n, i === 0 ? 0 : 1) + '\u00a0' + units[i];
  },
  time: iso => new Date(iso).toLocaleTimeString(I18N.lang),
  dateTime: iso => new Date(iso).toLocaleString(I18N.lang),
};

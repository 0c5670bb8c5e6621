// The relay's health dashboard in the browser: reads /dashboard/status.json every 10
// seconds and shows it as cards, with alerts an ICT cell should act on. French by
// default, English when the browser asks for it (or ?lang=en). Text only through
// textContent: nothing received is ever parsed as HTML.
/* global document, fetch, navigator, window, URLSearchParams */

const REFRESH_MS = 10_000;
const DAY = 86_400_000;

const TEXTS = {
  fr: {
    title: 'Relais COMGOV — état du service',
    loading: 'Chargement…',
    ok: 'En service',
    warning: 'En service, à surveiller',
    down: 'Injoignable',
    updated: 'mis à jour à {time}',
    errors: 'Erreurs signalées aux appareils, par code',
    code: 'Code',
    count: 'Nombre',
    none: 'Aucune',
    note: 'Aucun contenu, aucun nom, aucune adresse : seulement des compteurs. Mis à jour toutes les 10 secondes.',
    connected: 'Appareils connectés',
    sockets: '{n} connexions ouvertes',
    queue: 'Messages en attente',
    queueDetail: '{bytes} ; le plus ancien attend depuis {age}',
    queueEmpty: 'Rien n’attend',
    delivery: 'Délai de remise',
    deliveryDetail: 'médiane {p50}, 99 % sous {p99} ; {n} remis en direct',
    deliveryNone: 'Pas encore de remise depuis le démarrage',
    traffic: 'Depuis le démarrage ({since})',
    trafficValue: '{n} reçus',
    trafficDetail: '{out} envoyés, {acked} acquittés, {expired} expirés',
    disk: 'Disque libre',
    diskDetail: '{free} libres sur {total}',
    unknown: 'inconnu',
    tls: 'Certificat TLS',
    tlsNone: 'Sans TLS',
    tlsDetail: 'expire le {date}',
    directory: 'Annuaire',
    directoryValue: '{n} utilisateurs',
    directoryDetail: '{revokedUsers} révoqués ; {devices} appareils dont {revokedDevices} révoqués',
    wipes: 'Effacements à distance',
    wipesDetail: '{pending} en attente de connexion, {done} effectués',
    idle: 'Appareils inactifs depuis 30 jours',
    idleDetail: 'à révoquer s’ils ne servent plus (comgov-relay users)',
    files: 'Fichiers sur le relais',
    adminLog: 'Journal d’administration',
    adminLogDetail: 'dernière opération : {when}',
    never: 'aucune',
    alertDisk:
      'Le disque du relais est presque plein ({free} libres) : libérez de la place ou agrandissez-le, sinon les messages seront refusés.',
    alertStorageFull:
      'Le relais a refusé des envois faute de place sur son disque ({n} fois depuis son démarrage).',
    alertTls:
      'Le certificat TLS expire le {date} : renouvelez-le (comgov-relay le recharge sans arrêt).',
    alertQueue:
      'Des messages attendent depuis {age} : des appareils ne se sont pas connectés depuis longtemps (ils expirent au bout de 30 jours).',
    alertWipes: '{n} effacement(s) à distance attendent que l’appareil se connecte.',
    alertDown:
      'Le relais ne répond pas à cette page : vérifiez le service (systemctl status comgov-relay).',
  },
  en: {
    title: 'COMGOV relay — service health',
    loading: 'Loading…',
    ok: 'Running',
    warning: 'Running, needs attention',
    down: 'Unreachable',
    updated: 'updated at {time}',
    errors: 'Errors reported to devices, by code',
    code: 'Code',
    count: 'Count',
    none: 'None',
    note: 'No content, no names, no addresses: counters only. Refreshed every 10 seconds.',
    connected: 'Devices connected',
    sockets: '{n} open connections',
    queue: 'Messages waiting',
    queueDetail: '{bytes}; the oldest has waited {age}',
    queueEmpty: 'Nothing waits',
    delivery: 'Delivery time',
    deliveryDetail: 'median {p50}, 99% under {p99}; {n} delivered live',
    deliveryNone: 'No delivery since the start yet',
    traffic: 'Since the start ({since})',
    trafficValue: '{n} received',
    trafficDetail: '{out} sent, {acked} acknowledged, {expired} expired',
    disk: 'Free disk',
    diskDetail: '{free} free of {total}',
    unknown: 'unknown',
    tls: 'TLS certificate',
    tlsNone: 'No TLS',
    tlsDetail: 'expires on {date}',
    directory: 'Directory',
    directoryValue: '{n} users',
    directoryDetail: '{revokedUsers} revoked; {devices} devices, {revokedDevices} revoked',
    wipes: 'Remote wipes',
    wipesDetail: '{pending} waiting for the device to connect, {done} done',
    idle: 'Devices idle for 30 days',
    idleDetail: 'revoke them if they are no longer used (comgov-relay users)',
    files: 'Files on the relay',
    adminLog: 'Admin log',
    adminLogDetail: 'last change: {when}',
    never: 'none',
    alertDisk:
      'The relay’s disk is almost full ({free} free): free some space or grow it, or messages will be refused.',
    alertStorageFull:
      'The relay refused submissions for lack of disk space ({n} times since it started).',
    alertTls:
      'The TLS certificate expires on {date}: renew it (comgov-relay reloads it without a restart).',
    alertQueue:
      'Messages have waited {age}: some devices have not connected for a long time (they expire after 30 days).',
    alertWipes: '{n} remote wipe(s) wait for the device to connect.',
    alertDown:
      'The relay does not answer this page: check the service (systemctl status comgov-relay).',
  },
};

const requested = new URLSearchParams(window.location.search).get('lang');
const lang =
  requested === 'en' || requested === 'fr'
    ? requested
    : navigator.language.startsWith('en')
      ? 'en'
      : 'fr';
const texts = TEXTS[lang];
const locale = lang === 'en' ? 'en-GB' : 'fr-FR';
const numbers = new Intl.NumberFormat(locale);

function t(key, values = {}) {
  return texts[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
}

function bytes(n) {
  if (n === null || n === undefined) return t('unknown');
  const units = lang === 'en' ? ['B', 'KB', 'MB', 'GB', 'TB'] : ['o', 'Ko', 'Mo', 'Go', 'To'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(value)} ${units[unit]}`;
}

function duration(ms) {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return lang === 'en' ? `${minutes} min` : `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return lang === 'en' ? `${hours} h` : `${hours} h`;
  const days = Math.round(hours / 24);
  return lang === 'en' ? `${days} days` : `${days} jours`;
}

function milliseconds(ms) {
  return ms === null
    ? '—'
    : ms < 1000
      ? `${numbers.format(ms)} ms`
      : `${numbers.format(ms / 1000)} s`;
}

function dateTime(ms) {
  return new Date(ms).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function card(id, title, value, detail) {
  const node = element('article', 'card');
  node.dataset.card = id;
  node.append(element('h2', '', title), element('p', 'value', value));
  if (detail) node.append(element('p', 'detail', detail));
  return node;
}

function alertsOf(status) {
  const alerts = [];
  const { storage, tlsExpiresAt, queue, directory, errors, now } = status;
  if (storage.diskFreeBytes !== null && storage.diskTotalBytes) {
    if (storage.diskFreeBytes / storage.diskTotalBytes < 0.1) {
      alerts.push(['danger', t('alertDisk', { free: bytes(storage.diskFreeBytes) })]);
    }
  }
  const full = errors.find((e) => e.code === 'STORAGE_FULL');
  if (full) alerts.push(['danger', t('alertStorageFull', { n: numbers.format(full.count) })]);
  if (tlsExpiresAt !== null && tlsExpiresAt - now < 30 * DAY) {
    alerts.push([
      tlsExpiresAt < now + 7 * DAY ? 'danger' : 'warning',
      t('alertTls', { date: dateTime(tlsExpiresAt) }),
    ]);
  }
  if (queue.oldestQueuedAt !== null && now - queue.oldestQueuedAt > 7 * DAY) {
    alerts.push(['warning', t('alertQueue', { age: duration(now - queue.oldestQueuedAt) })]);
  }
  if (directory.wipesPending > 0) {
    alerts.push(['warning', t('alertWipes', { n: numbers.format(directory.wipesPending) })]);
  }
  return alerts;
}

function render(status) {
  const { connections, queue, delivery, traffic, storage, directory, adminLog, now } = status;
  const cards = [
    card(
      'connected',
      t('connected'),
      numbers.format(connections.devices),
      t('sockets', { n: numbers.format(connections.sockets) }),
    ),
    card(
      'queue',
      t('queue'),
      numbers.format(queue.envelopes),
      queue.oldestQueuedAt === null
        ? t('queueEmpty')
        : t('queueDetail', {
            bytes: bytes(queue.bytes),
            age: duration(now - queue.oldestQueuedAt),
          }),
    ),
    card(
      'delivery',
      t('delivery'),
      milliseconds(delivery.p50Ms),
      delivery.count === 0
        ? t('deliveryNone')
        : t('deliveryDetail', {
            p50: milliseconds(delivery.p50Ms),
            p99: milliseconds(delivery.p99Ms),
            n: numbers.format(delivery.count),
          }),
    ),
    card(
      'traffic',
      t('traffic', { since: dateTime(status.startedAt) }),
      t('trafficValue', { n: numbers.format(traffic.envelopesIn) }),
      t('trafficDetail', {
        out: numbers.format(traffic.envelopesOut),
        acked: numbers.format(traffic.envelopesAcked),
        expired: numbers.format(traffic.envelopesExpired),
      }),
    ),
    card(
      'disk',
      t('disk'),
      storage.diskFreeBytes === null || !storage.diskTotalBytes
        ? t('unknown')
        : `${Math.round((storage.diskFreeBytes / storage.diskTotalBytes) * 100)} %`,
      t('diskDetail', { free: bytes(storage.diskFreeBytes), total: bytes(storage.diskTotalBytes) }),
    ),
    card(
      'tls',
      t('tls'),
      status.tlsExpiresAt === null ? t('tlsNone') : duration(status.tlsExpiresAt - now),
      status.tlsExpiresAt === null ? '' : t('tlsDetail', { date: dateTime(status.tlsExpiresAt) }),
    ),
    card(
      'directory',
      t('directory'),
      t('directoryValue', { n: numbers.format(directory.users) }),
      t('directoryDetail', {
        revokedUsers: numbers.format(directory.revokedUsers),
        devices: numbers.format(directory.devices),
        revokedDevices: numbers.format(directory.revokedDevices),
      }),
    ),
    card(
      'wipes',
      t('wipes'),
      numbers.format(directory.wipesPending + directory.wipesDelivered),
      t('wipesDetail', {
        pending: numbers.format(directory.wipesPending),
        done: numbers.format(directory.wipesDelivered),
      }),
    ),
    card('idle', t('idle'), numbers.format(directory.idleDevices), t('idleDetail')),
    card('files', t('files'), numbers.format(storage.blobs), bytes(storage.blobBytes)),
    card(
      'admin-log',
      t('adminLog'),
      numbers.format(adminLog.entries),
      t('adminLogDetail', {
        when: adminLog.lastChangeAt === null ? t('never') : dateTime(adminLog.lastChangeAt),
      }),
    ),
  ];
  document.getElementById('cards').replaceChildren(...cards);

  const rows = status.errors.map((e) => {
    const row = element('tr');
    row.append(element('td', '', e.code), element('td', '', numbers.format(e.count)));
    return row;
  });
  if (rows.length === 0) {
    const row = element('tr');
    const cell = element('td', '', t('none'));
    cell.colSpan = 2;
    row.append(cell);
    rows.push(row);
  }
  document.getElementById('errors').replaceChildren(...rows);

  const alerts = alertsOf(status);
  document.getElementById('alerts').replaceChildren(
    ...alerts.map(([level, text]) => {
      const item = element('li', '', text);
      item.dataset.level = level;
      return item;
    }),
  );
  setState(alerts.length > 0 ? 'warning' : 'ok');
  document.getElementById('updated').textContent = t('updated', {
    time: new Date(now).toLocaleTimeString(locale),
  });
}

function setState(state) {
  const node = document.getElementById('state');
  node.dataset.state = state;
  node.textContent = t(state);
}

async function refresh() {
  try {
    const response = await fetch('/dashboard/status.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(String(response.status));
    render(await response.json());
  } catch {
    setState('down');
    const item = element('li', '', t('alertDown'));
    item.dataset.level = 'danger';
    document.getElementById('alerts').replaceChildren(item);
  }
}

document.documentElement.lang = lang;
document.title = t('title');
for (const node of document.querySelectorAll('[data-text]'))
  node.textContent = t(node.dataset.text);
setState('loading');
void refresh();
window.setInterval(() => void refresh(), REFRESH_MS);

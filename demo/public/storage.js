// Web storage that degrades to memory: inside the LMS's iframe a browser blocking third-party
// cookies (Chrome's incognito, Safari, Firefox's strict mode) denies localStorage and
// sessionStorage outright (reading the property throws), and the page must still run.
function store(get) {
  const memory = new Map();
  const real = () => {
    try {
      return get();
    } catch {
      return null;
    }
  };
  return {
    getItem: (key) => (real() ? real().getItem(key) : (memory.get(key) ?? null)),
    setItem: (key, value) => (real() ? real().setItem(key, value) : memory.set(key, String(value))),
    removeItem: (key) => (real() ? real().removeItem(key) : memory.delete(key)),
  };
}

/** localStorage, or memory where the browser denies it. */
export const local = store(() => window.localStorage);
/** sessionStorage, or memory where the browser denies it. */
export const session = store(() => window.sessionStorage);

/** Whether the browser keeps data for this page at all (it does not in a third-party frame with third-party cookies blocked). */
export function storageAvailable() {
  try {
    return Boolean(window.localStorage);
  } catch {
    return false;
  }
}

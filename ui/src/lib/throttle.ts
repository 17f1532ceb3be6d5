/**
 * Runs `fn` at most once per `wait` ms however often it is triggered, and always once more after
 * the last trigger: during a first sync the engine may report a folder change many times a
 * second, and the UI should reload promptly but not on every one.
 */
export interface Coalesced {
  trigger(): void;
  cancel(): void;
}

export function coalesce(fn: () => void, wait: number): Coalesced {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pending = false;

  const fire = (): void => {
    timer = null;
    if (pending) {
      pending = false;
      fn();
      timer = setTimeout(fire, wait);
    }
  };

  return {
    trigger() {
      if (timer === null) {
        fn();
        timer = setTimeout(fire, wait);
      } else {
        pending = true;
      }
    },
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      pending = false;
    },
  };
}

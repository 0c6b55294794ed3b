// The page's entry: the worker (or, in a mock build, its stand-in) and the app.
import { render } from "preact";
import { App } from "./app.tsx";
import { Core, realWorker, type Port } from "./core.ts";
import "./app.css";

interface OwnerModule {
  becomeOwner(o: { onWaiting?: () => void }): Promise<{ waited: boolean }>;
  OTHER_TAB_MESSAGE: string;
}

/// The worker, once this tab owns the store: OPFS lets one worker at a time open it, so a
/// second tab waits for the first to close (owner.js, served beside the page, not bundled).
async function port(root: HTMLElement): Promise<{ port: Port; tookOver: boolean }> {
  // VITE_MOCK is set only by `--mode mock` (.env.mock): the production build drops this
  // branch and never contains the mock.
  if (import.meta.env.VITE_MOCK === "1") {
    const { mockWorker } = await import("./mock-worker.ts");
    return { port: mockWorker(), tookOver: false };
  }
  const ownerUrl = "/app/owner.js";
  const owner = (await import(/* @vite-ignore */ ownerUrl)) as OwnerModule;
  const held = await owner.becomeOwner({
    onWaiting: () => {
      root.textContent = "";
      const p = document.createElement("p");
      p.className = "boot";
      p.textContent = owner.OTHER_TAB_MESSAGE;
      root.append(p);
      (window as { rapportWaiting?: boolean }).rapportWaiting = true;
    },
  });
  (window as { rapportWaiting?: boolean }).rapportWaiting = false;
  return { port: realWorker(), tookOver: held.waited };
}

const root = document.getElementById("app")!;
port(root).then(({ port, tookOver }) => {
  root.textContent = ""; // the boot line
  const core = new Core(port);
  // The browser tests' hook: the worker's ops, answered whole, and its events so far.
  const events: unknown[] = [];
  core.on((e) => events.push(e));
  Object.assign(window, {
    rapport: { call: (op: string, args?: object) => core.whole(op, args), events, tookOver },
    rapportReady: true,
  });
  render(<App core={core} />, root);
});

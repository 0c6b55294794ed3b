// The page's entry: the worker (or, in a mock build, its stand-in) and the app.
import { render } from "preact";
import { App } from "./app.tsx";
import { Core, realWorker, type Port } from "./core.ts";
import "./app.css";

async function port(): Promise<Port> {
  // VITE_MOCK is set only by `--mode mock` (.env.mock): the production build drops this
  // branch and never contains the mock.
  if (import.meta.env.VITE_MOCK === "1") {
    const { mockWorker } = await import("./mock-worker.ts");
    return mockWorker();
  }
  return realWorker();
}

port().then((p) => {
  const root = document.getElementById("app")!;
  root.textContent = ""; // the boot line
  render(<App core={new Core(p)} />, root);
});

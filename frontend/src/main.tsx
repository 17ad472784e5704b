import { createRoot } from "react-dom/client";
import { App } from "./App";
import { readConfig } from "./config";
import "./styles.css";

const root = document.getElementById("root");
if (root === null) {
  throw new Error("index.html has no #root element");
}

try {
  const config = readConfig(document);
  createRoot(root).render(<App config={config} />);
} catch (error) {
  // Without configuration the app cannot reach the server; say why instead
  // of showing a blank page.
  const message = document.createElement("p");
  message.className = "fatal";
  message.textContent = `Mailbridge could not start: ${error instanceof Error ? error.message : String(error)}`;
  root.replaceChildren(message);
  throw error;
}

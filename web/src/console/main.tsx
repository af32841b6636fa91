import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "../styles.css";
import { ConsoleApp } from "./ConsoleApp";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ConsoleApp />
    </StrictMode>,
  );
}

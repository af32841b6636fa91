/** Page titles and focus after navigation, so keyboard and screen-reader users land on the new page. */
import { useEffect } from "react";
import { useLocation } from "react-router";

export function useTitle(title: string, app = "PacAI Studio"): void {
  useEffect(() => {
    document.title = title ? `${title} · ${app}` : app;
  }, [title, app]);
}

/** After a route change (not the first render), focuses the page's h1 (or main). */
export function useFocusOnNavigate(mainId = "main"): void {
  const { pathname } = useLocation();
  useEffect(() => {
    if (!focusOnNavigate.armed) {
      focusOnNavigate.armed = true;
      return;
    }
    const handle = window.setTimeout(() => {
      const main = document.getElementById(mainId);
      const target = main?.querySelector<HTMLElement>("h1") ?? main;
      if (!target) return;
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: false });
    }, 0);
    return () => window.clearTimeout(handle);
  }, [pathname, mainId]);
}
const focusOnNavigate = { armed: false };

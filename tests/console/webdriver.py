"""A few W3C WebDriver calls over httpx: enough to drive PacAI Console through tauri-driver.

Elements are found the way a person finds them: buttons by their text, fields by their label,
views by their heading. Selenium would add a dependency for what is a dozen HTTP calls.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"
T = TypeVar("T")


class WebDriverError(RuntimeError):
    pass


def _xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    parts = text.split("'")
    return "concat(" + ', "\'", '.join(f"'{p}'" for p in parts) + ")"


class Session:
    def __init__(self, base_url: str, capabilities: dict[str, Any], timeout: float = 120.0) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout)
        answer = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        self.id: str = answer["sessionId"]

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, path, json=payload if method == "POST" else None)
        try:
            value = response.json().get("value")
        except ValueError as exc:
            raise WebDriverError(f"{method} {path}: HTTP {response.status_code} {response.text[:300]}") from exc
        if response.status_code >= 400:
            raise WebDriverError(f"{method} {path}: {value}")
        return value

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        return self._call(method, f"/session/{self.id}{path}", payload if payload is not None else {})

    # Finding things as a person would.
    def find(self, xpath: str) -> list[str]:
        found = self.call("POST", "/elements", {"using": "xpath", "value": xpath})
        return [item[ELEMENT_KEY] for item in found]

    def displayed(self, element: str) -> bool:
        return bool(self.call("GET", f"/element/{element}/displayed"))

    def visible(self, xpath: str) -> str | None:
        for element in self.find(xpath):
            if self.displayed(element):
                return element
        return None

    def wait_for(self, what: Callable[[], T | None], timeout: float, description: str) -> T:
        deadline = time.monotonic() + timeout
        while True:
            result = what()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"not seen within {timeout:.0f} s: {description}")
            time.sleep(0.25)

    def wait_visible(self, xpath: str, timeout: float = 15.0) -> str:
        return self.wait_for(lambda: self.visible(xpath), timeout, xpath)

    def heading(self, name: str, timeout: float = 15.0) -> str:
        return self.wait_visible(
            f"//*[self::h1 or self::h2 or self::h3][normalize-space()={_xpath_literal(name)}]", timeout
        )

    def button(self, name: str, timeout: float = 15.0) -> str:
        return self.wait_visible(f"//button[normalize-space()={_xpath_literal(name)}]", timeout)

    def field(self, label: str, timeout: float = 15.0) -> str:
        xpath = f"//input[@id=//label[normalize-space()={_xpath_literal(label)}]/@for]"
        return self.wait_visible(xpath, timeout)

    def click(self, element: str) -> None:
        self.call("POST", f"/element/{element}/click")

    def type_into(self, element: str, text: str) -> None:
        self.call("POST", f"/element/{element}/clear")
        self.call("POST", f"/element/{element}/value", {"text": text})

    def text(self, element: str) -> str:
        return str(self.call("GET", f"/element/{element}/text"))

    def page_text(self) -> str:
        return str(self.call("POST", "/execute/sync", {"script": "return document.body.innerText;", "args": []}))

    def settle(self) -> None:
        """Waits until the page has painted what the last step changed (two animation frames):
        WebKit's snapshot otherwise shows the frame before."""
        script = "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));"
        self.call("POST", "/execute/async", {"script": script, "args": []})
        time.sleep(0.2)

    def screenshot(self, path: Path) -> Path:
        self.settle()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.call("GET", "/screenshot")))
        return path

    def close_window(self) -> None:
        self.call("DELETE", "/window")

    def end(self) -> None:
        try:
            self._call("DELETE", f"/session/{self.id}")
        except (httpx.HTTPError, WebDriverError):
            pass  # the app may already be gone; the session ends with it
        finally:
            self.http.close()

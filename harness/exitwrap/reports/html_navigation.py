"""How the HTML matrix is navigated: stable ids for rows and cells, and its one small script.

Ids are ``r:SCENARIO`` for a row and ``c:SHELL:SCENARIO`` for a cell (blanks
become ``_``; a second column of the same shell, in a merged report, adds its
version), so a link to a cell survives a new run. The script does two
things CSS cannot: it moves the keyboard focus between cells with the arrow
keys (rows are the tab stops, cells are reached from them: a roving focus,
as in a grid), and it places a cell's details inside the window: below the
cell, or above it where there is more room, never over its row, moved left
as far as the window's right edge needs, scrolling inside when long.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable

from exitwrap.reports.cells import Record

_BLANKS = re.compile(r"\s")

NAVIGATION_SCRIPT = """
(function () {
  "use strict";
  var MARGIN = 8;
  function place(cell) {
    var tip = cell.querySelector(".tip");
    if (!tip) { return; }
    tip.style.position = "fixed";
    tip.style.maxHeight = "";
    var c = cell.getBoundingClientRect(), t = tip.getBoundingClientRect();
    var below = window.innerHeight - c.bottom - MARGIN, above = c.top - MARGIN;
    var down = t.height <= below || below >= above, room = down ? below : above;
    tip.style.maxHeight = room + "px";
    var x = Math.min(c.left, window.innerWidth - t.width - MARGIN);
    tip.style.left = Math.max(MARGIN, x) + "px";
    tip.style.top = (down ? c.bottom : c.top - Math.min(t.height, room)) + "px";
    tip.style.right = "auto";
  }
  function shown(row) { return row && row.offsetParent !== null; }
  function step(row, down) {
    do { row = down ? row.nextElementSibling : row.previousElementSibling; }
    while (row && !shown(row));
    return row;
  }
  function target(event) {
    var here = event.target, row = here.closest && here.closest("tr.row");
    if (!row) { return null; }
    var cells = Array.prototype.slice.call(row.querySelectorAll("td.cell"));
    var at = cells.indexOf(here), key = event.key;
    if (key === "ArrowRight") { return at < 0 ? cells[0] : cells[at + 1]; }
    if (key === "ArrowLeft") { return at > 0 ? cells[at - 1] : row; }
    if (key === "Home") { return at < 0 ? null : cells[0]; }
    if (key === "End") { return at < 0 ? null : cells[cells.length - 1]; }
    if (key === "Escape") { return at < 0 ? null : row; }
    if (key === "ArrowDown" || key === "ArrowUp") {
      var next = step(row, key === "ArrowDown");
      if (!next || at < 0) { return next; }
      return next.querySelectorAll("td.cell")[at] || next;
    }
    return null;
  }
  document.addEventListener("keydown", function (event) {
    var next = target(event);
    if (next) { next.focus(); event.preventDefault(); }
  });
  function onCell(event) {
    var cell = event.target.closest && event.target.closest("td.cell");
    if (cell) { place(cell); }
  }
  document.addEventListener("mouseover", onCell);
  document.addEventListener("focusin", onCell);
}());
"""


def _clean(text: str) -> str:
    return _BLANKS.sub("_", text)


class Ids:
    """The id of every row and cell of a document, unique within the page."""

    def __init__(self, records: Iterable[Record]) -> None:
        self._cells: dict[int, str] = {}
        taken: set[str] = set()
        for record in records:
            wanted = f"c:{_clean(record['shell'])}:{_clean(record['scenario'])}"
            if wanted in taken:  # another column of the same shell (a merged report)
                wanted = f"c:{_clean(record['shell'])}@{_clean(record['shell_version'])}"
                wanted += f":{_clean(record['scenario'])}"
            while wanted in taken:
                wanted += "+"
            taken.add(wanted)
            self._cells[id(record)] = wanted

    def cell(self, record: Record) -> str:
        return self._cells[id(record)]

    @staticmethod
    def row(scenario: str) -> str:
        return f"r:{_clean(scenario)}"


def fragment(element_id: str) -> str:
    """A link to an element of the page."""
    return "#" + urllib.parse.quote(element_id, safe="/:@!$&'()*+,;=-._~")

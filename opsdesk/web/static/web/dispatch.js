// Dispatch board: drag a work order (a timeline block or an unplanned item) onto a
// technician's row, or back onto the unplanned list. A drop only fills in the
// work order's own move form (technician, stop number) and submits it, so the
// server's answer is the same as for the keyboard and no-script path: the board
// again, with the move done or the refusal said above it.
(function () {
  "use strict";

  var dragged = null; // the element being dragged

  function zoneOf(node) {
    return node && node.closest ? node.closest(".tech-row, #unplanned") : null;
  }

  function clearOver() {
    document.querySelectorAll(".drop-over").forEach(function (el) {
      el.classList.remove("drop-over");
    });
  }

  // The 1-based stop the drop point falls before, among the row's other blocks;
  // dropped off the timeline (on the row's name or list), the last stop.
  function positionIn(row, event) {
    var blocks = Array.prototype.filter.call(row.querySelectorAll(".timeline .block"), function (b) {
      return b !== dragged;
    });
    if (!event.target.closest(".timeline")) return blocks.length + 1;
    var before = blocks.filter(function (b) {
      var box = b.getBoundingClientRect();
      return box.left + box.width / 2 < event.clientX;
    });
    return before.length + 1;
  }

  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("[data-work-order][draggable='true']");
    if (!item) return;
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.workOrder);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearOver();
  });

  document.addEventListener("dragover", function (event) {
    var zone = zoneOf(event.target);
    if (!dragged || !zone) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    if (!zone.classList.contains("drop-over")) {
      clearOver();
      zone.classList.add("drop-over");
    }
  });

  document.addEventListener("drop", function (event) {
    var zone = zoneOf(event.target);
    if (!dragged || !zone) return;
    event.preventDefault();
    clearOver();
    var form = document.getElementById(dragged.dataset.form);
    if (!form) return;
    var technician = zone.dataset.technician || "";
    form.elements.technician.value = technician;
    form.elements.position.value = technician ? positionIn(zone, event) : 1;
    dragged.classList.remove("dragging");
    dragged = null;
    // requestSubmit fires "submit", so htmx posts it (or the browser does, without htmx).
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });
})();

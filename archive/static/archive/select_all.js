// A header checkbox with data-archive-select-all="NAME" ticks or clears every checkbox named NAME on the page,
// and shows itself ticked (or mixed) as the rows are ticked one by one.
(function () {
  function boxes(name) {
    return Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][name="' + name + '"]'));
  }
  document.querySelectorAll("input[data-archive-select-all]").forEach(function (all) {
    var name = all.getAttribute("data-archive-select-all");
    function reflect() {
      var rows = boxes(name), ticked = rows.filter(function (c) { return c.checked; }).length;
      all.checked = rows.length > 0 && ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    }
    all.addEventListener("change", function () {
      boxes(name).forEach(function (c) { c.checked = all.checked; });
    });
    document.addEventListener("change", function (e) {
      if (e.target !== all && e.target.name === name) { reflect(); }
    });
    reflect();
  });
})();

// The record page's scan viewer (templates/records/inspect.html): zoom, go to a page, and show a key
// field's box on its page. The boxes are placed in percent of their page, so they follow every zoom.
(function () {
    "use strict";
    const viewer = document.getElementById("records-viewer");
    if (!viewer) {
        return;
    }
    const viewport = viewer.querySelector(".records-viewer__viewport");
    const pages = viewer.querySelector(".records-viewer__pages");
    const shown = viewer.querySelector(".records-viewer__zoom");
    const select = viewer.querySelector("[data-goto-page]");
    if (!viewport || !pages) {
        return;
    }
    const LEVELS = [0.5, 0.75, 1, 1.5, 2, 3, 4];
    let zoom = 1;

    function setZoom(level, keep) {
        // keep: the point of the pages (fractions) that stays in the middle of the viewport
        const anchor = keep || {
            x: (viewport.scrollLeft + viewport.clientWidth / 2) / pages.scrollWidth,
            y: (viewport.scrollTop + viewport.clientHeight / 2) / pages.scrollHeight,
        };
        zoom = Math.min(Math.max(level, LEVELS[0]), LEVELS[LEVELS.length - 1]);
        pages.style.width = (zoom * 100) + "%";
        viewer.dataset.zoom = String(zoom);
        shown.textContent = Math.round(zoom * 100) + "%";
        viewport.scrollLeft = anchor.x * pages.scrollWidth - viewport.clientWidth / 2;
        viewport.scrollTop = anchor.y * pages.scrollHeight - viewport.clientHeight / 2;
    }

    function step(direction) {
        const next = direction > 0 ? LEVELS.find((l) => l > zoom + 1e-6) : [...LEVELS].reverse().find((l) => l < zoom - 1e-6);
        if (next !== undefined) {
            setZoom(next);
        }
    }

    function pageOf(number) {
        return pages.querySelector(`.records-page[data-page="${number}"]`);
    }

    function scrollTo(element, centre) {
        const box = element.getBoundingClientRect();
        const port = viewport.getBoundingClientRect();
        const top = viewport.scrollTop + box.top - port.top;
        const left = viewport.scrollLeft + box.left - port.left;
        viewport.scrollTop = centre ? top - (viewport.clientHeight - box.height) / 2 : top;
        viewport.scrollLeft = centre ? left - (viewport.clientWidth - box.width) / 2 : left;
    }

    function locate(field) {
        const box = pages.querySelector(`.records-box[data-field="${field}"]`);
        if (!box) {
            return;
        }
        pages.querySelectorAll(".records-box.is-active").forEach((b) => b.classList.remove("is-active"));
        box.classList.add("is-active");
        if (zoom < 2) {
            setZoom(2);
        }
        scrollTo(box, true);
        const page = box.closest(".records-page");
        if (select && page) {
            select.value = page.dataset.page;
        }
    }

    viewer.querySelectorAll("[data-zoom-step]").forEach((button) => {
        button.addEventListener("click", () => step(Number(button.dataset.zoomStep)));
    });
    const fit = viewer.querySelector("[data-zoom-fit]");
    if (fit) {
        fit.addEventListener("click", () => setZoom(1));
    }
    if (select) {
        select.addEventListener("change", () => {
            const page = pageOf(select.value);
            if (page) {
                scrollTo(page, false);
            }
        });
        viewport.addEventListener("scroll", () => {
            const port = viewport.getBoundingClientRect();
            const current = [...pages.querySelectorAll(".records-page")].find((p) => p.getBoundingClientRect().bottom > port.top + 40);
            if (current && select.value !== current.dataset.page) {
                select.value = current.dataset.page;
            }
        }, {passive: true});
    }
    viewport.addEventListener("wheel", (event) => {
        if (event.ctrlKey) {  // ctrl + wheel (and a touchpad's pinch) zooms the scan, not the whole page
            event.preventDefault();
            step(event.deltaY < 0 ? 1 : -1);
        }
    }, {passive: false});
    document.querySelectorAll("[data-locate]").forEach((button) => {
        button.addEventListener("click", () => locate(button.dataset.locate));
    });
    // the first flagged field's page is the one to look at first
    const flagged = pages.querySelector(".records-box--flagged");
    if (flagged) {
        const page = flagged.closest(".records-page");
        if (page && page.dataset.page !== "1") {
            scrollTo(page, false);
            if (select) {
                select.value = page.dataset.page;
            }
        }
    }
}());

/* Upload screen: each dropped or chosen file goes in its own POST, with its own progress bar and result. */
(function () {
    "use strict";
    const form = document.getElementById("records-upload");
    if (!form) return;
    const text = JSON.parse(document.getElementById("records-upload-messages").textContent);
    const hall = document.getElementById("records-hall");
    const clerk = document.getElementById("records-clerk");
    const input = document.getElementById("records-files");
    const zone = document.getElementById("records-dropzone");
    const results = document.getElementById("records-results");
    const PARALLEL = 2;
    const queue = [];
    let running = 0;

    function format(template, values) {
        return template.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
    }

    function csrfToken() {
        const field = form.querySelector("input[name=csrfmiddlewaretoken]");
        if (field) return field.value;
        const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
        return match ? decodeURIComponent(match[1]) : "";
    }

    function showClerksOfHall() {
        let firstShown = null;
        for (const option of clerk.options) {
            option.hidden = option.disabled = option.dataset.hall !== hall.value;
            if (!option.hidden && !firstShown) firstShown = option;
        }
        if (!clerk.selectedOptions.length || clerk.selectedOptions[0].hidden) {
            clerk.value = firstShown ? firstShown.value : "";
        }
    }

    function link(url, label) {
        const a = document.createElement("a");
        a.href = url;
        a.textContent = label;
        return a;
    }

    function finish(item, status, data) {
        item.progress.remove();
        item.result.textContent = "";
        if (data && data.ok && data.records) {  // a batch split at separator sheets
            item.li.dataset.result = "created";
            item.result.className = "records-result--created";
            item.result.append(format(text.split, {count: data.records.length}) + " ");
            for (const record of data.records) item.result.append(link(record.url, "#" + record.id), " ");
            for (const part of data.refused) item.result.append(" " + text.refused + " " + part.name + ": " + part.error);
        } else if (data && data.ok) {
            item.li.dataset.result = "created";
            item.result.className = "records-result--created";
            item.result.append(link(data.url, format(text.created, {id: data.id})));
        } else if (data && data.existing_id) {
            item.li.dataset.result = "duplicate";
            item.result.className = "records-result--refused";
            item.result.append(data.error + " ");
            if (data.existing_url) item.result.append(link(data.existing_url, format(text.duplicate, {id: data.existing_id})));
        } else {
            item.li.dataset.result = "refused";
            item.result.className = "records-result--refused";
            item.result.textContent = text.refused + ": " + ((data && data.error) || format(text.failed, {status: status}));
        }
    }

    function send(item) {
        running += 1;
        const body = new FormData();
        body.append("hall", item.hall);
        body.append("clerk", item.clerk);
        body.append("category", item.category);
        if (item.split) body.append("split", "1");
        body.append("file", item.file, item.file.name);
        const xhr = new XMLHttpRequest();
        xhr.open("POST", form.dataset.endpoint);
        xhr.setRequestHeader("X-CSRFToken", csrfToken());
        xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
        xhr.upload.addEventListener("progress", (event) => {
            if (event.lengthComputable) item.progress.value = event.loaded / event.total;
        });
        xhr.addEventListener("loadend", () => {
            let data = null;
            try { data = JSON.parse(xhr.responseText); } catch (error) { data = null; }
            finish(item, xhr.status, data);
            running -= 1;
            next();
        });
        xhr.send(body);
    }

    function next() {
        while (running < PARALLEL && queue.length) send(queue.shift());
    }

    function add(files) {
        if (!clerk.value) {
            window.alert(text.no_clerk);
            return;
        }
        for (const file of files) {
            const li = document.createElement("li");
            const name = document.createElement("strong");
            name.textContent = file.name;
            const progress = document.createElement("progress");
            progress.max = 1;
            progress.value = 0;
            const result = document.createElement("span");
            result.textContent = text.uploading;
            li.append(name, progress, result);
            results.append(li);
            queue.push({file, li, progress, result, hall: hall.value, clerk: clerk.value,
                        category: form.elements.category.value, split: form.elements.split.checked});
        }
        next();
    }

    form.addEventListener("submit", (event) => event.preventDefault());
    window.addEventListener("dragover", (event) => event.preventDefault());  // a miss must not open the file
    window.addEventListener("drop", (event) => event.preventDefault());
    hall.addEventListener("change", showClerksOfHall);
    input.addEventListener("change", () => {
        add(Array.from(input.files));
        input.value = "";
    });
    zone.addEventListener("click", (event) => { if (event.target !== input) input.click(); });
    zone.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") input.click(); });
    zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("is-over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("is-over"));
    zone.addEventListener("drop", (event) => {
        event.preventDefault();
        zone.classList.remove("is-over");
        add(Array.from(event.dataTransfer.files));
    });
    showClerksOfHall();
})();

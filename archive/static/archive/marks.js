/* Audit screens: a row's mark form (data-archive-row) is sent in the background and the answer replaces the
   row, the progress and the error register, so a long day is marked without reloading the page. Without
   JavaScript, or when the answer is not the row (a refusal of access, a lost session), the form is sent
   the ordinary way. Enter in a text field presses the form's first button (差错), exactly as without this. */
(function () {
    "use strict";

    function fragment(html) {
        const template = document.createElement("template");
        template.innerHTML = html.trim();
        return template.content.firstElementChild;
    }

    function replace(id, html) {
        const old = document.getElementById(id);
        if (old && html) old.replaceWith(fragment(html));
    }

    function say(text, ok) {
        const list = document.querySelector(".messages ul");
        if (!list) return;
        const item = document.createElement("li");
        item.className = ok ? "success" : "error";
        item.textContent = text;
        list.replaceChildren(item);
    }

    function plain(form, submitter) {
        form.dataset.archivePlain = "1";
        form.requestSubmit(submitter || undefined);
    }

    document.addEventListener("submit", async function (event) {
        const form = event.target;
        if (!(form instanceof HTMLFormElement) || !form.dataset.archiveRow || form.dataset.archivePlain) return;
        event.preventDefault();
        const submitter = event.submitter;
        const data = new FormData(form);
        if (submitter && submitter.name) data.append(submitter.name, submitter.value);
        const rowId = form.dataset.archiveRow;
        const buttons = form.querySelectorAll("button");
        buttons.forEach(function (b) { b.disabled = true; });
        let answer;
        try {
            const response = await fetch(form.action, {
                method: "POST", body: data, credentials: "same-origin",
                headers: {"X-Archive-Row": "1", "Accept": "application/json"},
            });
            const type = response.headers.get("Content-Type") || "";
            if (!response.ok || !type.startsWith("application/json")) throw new Error(String(response.status));
            answer = await response.json();
        } catch (error) {
            buttons.forEach(function (b) { b.disabled = false; });
            plain(form, submitter);
            return;
        }
        replace(rowId, answer.row);
        replace("archive-level1-progress", answer.progress);
        replace("archive-errors", answer.errors);
        say(answer.message, answer.ok);
        const row = document.getElementById(rowId);
        if (row) {
            row.classList.add("archive-just-marked");
            const field = answer.ok ? null : row.querySelector("input[name=error_kind]");
            if (field) field.focus();
        }
    });
})();

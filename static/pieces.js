// Mon Compte works without this script: it only adds comfort to the pages.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // A list filter's sort choice applies at once, without pressing "Afficher".
  const sort = document.querySelector(".filtres select[name=tri]");
  if (sort) sort.addEventListener("change", () => sort.form.submit());

  const attach = document.querySelector("form[data-joindre]");
  if (attach) joindre(attach);

  const search = document.querySelector("form[data-recherche]");
  if (search) recherche(search);

  const invoice = document.querySelector("form[data-facture]");
  if (invoice) facture(invoice);
});

// The invoice form: the totals follow the amounts typed (the service computes them, as it will
// for the invoice issued), and the form cannot be sent twice by a double click.
function facture(form) {
  const totals = document.getElementById("totaux-valeurs");
  let timer = null;
  let running = null;
  const compute = async () => {
    if (running) running.abort();
    running = new AbortController();
    try {
      const answer = await fetch(`${form.action}/apercu`, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json" },
        signal: running.signal,
      });
      if (!answer.ok) return;
      const result = await answer.json();
      totals.replaceChildren();
      if (result.totals) {
        // The amounts as typed now compute: the complaints of the last sending are settled.
        for (const said of document.querySelectorAll("form[data-facture] .erreur, .erreur.resume")) said.remove();
        for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
        for (const [label, amount] of result.totals) {
          const term = document.createElement("dt");
          term.textContent = label;
          const value = document.createElement("dd");
          value.textContent = amount;
          totals.append(term, value);
        }
        result.lines.forEach((amount, i) => {
          const cell = document.getElementById(`ligne-${i}`);
          if (cell) cell.textContent = amount;
        });
      } else {
        const term = document.createElement("dt");
        term.textContent = "Totaux";
        const value = document.createElement("dd");
        value.textContent = `à compléter : ${result.problems.map((p) => p.detail).join(" ; ")}`;
        totals.append(term, value);
      }
    } catch (_) {
      // A newer computation replaced this one; or the network: "Calculer les totaux" still works.
    }
  };
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(compute, 300);
  });
  let sent = false;
  form.addEventListener("submit", (event) => {
    if (sent) event.preventDefault();
    sent = true;
    setTimeout(() => (sent = false), 5000);
  });
}

// "Recherche": the results follow the typing (300 ms after the last key), and the address
// keeps the whole search. Without the script, "Rechercher" sends the same form.
function recherche(form) {
  const results = document.getElementById("resultats");
  let timer = null;
  let running = null;
  const run = async () => {
    const params = new URLSearchParams(new FormData(form));
    for (const [key, value] of [...params]) if (!value) params.delete(key);
    const url = `/recherche?${params}`;
    if (running) running.abort();
    running = new AbortController();
    try {
      const answer = await fetch(url, { signal: running.signal, headers: { Accept: "text/html" } });
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById("resultats");
      if (fresh) {
        results.replaceChildren(...fresh.childNodes);
        history.replaceState(null, "", url);
      }
    } catch (_) {
      // An older search, cancelled by a newer one; or the network: the button still works.
    }
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(run, 300);
  };
  // Typing fires `input`; a choice in a list or a date, `change` (and not always `input`).
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
}

// "Joindre des fichiers": files chosen or dropped are listed, each with its own Type pièce,
// Titre and Commentaire; "Envoyer" sends each on its own request with a progress bar, then
// follows its reading until its kind is found. Without the script, the form sends them all at
// once and the page says what became of each.
function joindre(form) {
  const MAX_FILES = 20;
  const input = form.querySelector("input[type=file]");
  const list = form.querySelector(".envois");
  const kinds = form.querySelector("#type-piece");
  const csrf = form.querySelector("input[name=csrf]").value;
  const drop = form.querySelector(".depot");
  const submit = form.querySelector("button[type=submit]");
  const entries = [];
  const joined = [];
  const already = [];
  let made = 0;

  form.querySelector(".description-commune").hidden = true;
  input.required = false;
  const hint = document.createElement("span");
  hint.className = "aide";
  hint.textContent = " Vous pouvez aussi déposer vos fichiers ici.";
  drop.querySelector("label").append(hint);

  const field = (row, labelText, control) => {
    const p = document.createElement("p");
    const label = document.createElement("label");
    label.htmlFor = control.id;
    label.textContent = labelText;
    p.append(label, control);
    row.append(p);
  };

  function add(files) {
    for (const file of files) {
      if (entries.filter((e) => !e.gone).length >= MAX_FILES) {
        say(null, `${MAX_FILES} fichiers au plus à la fois.`);
        break;
      }
      const n = made++;
      const row = document.createElement("li");
      const name = document.createElement("p");
      name.className = "nom";
      name.id = `envoi-${n}-nom`;
      name.textContent = `${file.name} (${size(file.size)})`;
      const fields = document.createElement("div");
      fields.className = "champs";
      const kind = kinds.cloneNode(true);
      kind.id = `envoi-${n}-type`;
      kind.name = "";
      const title = document.createElement("input");
      title.type = "text";
      title.id = `envoi-${n}-titre`;
      title.maxLength = 300;
      title.placeholder = file.name;
      const comment = document.createElement("input");
      comment.type = "text";
      comment.id = `envoi-${n}-commentaire`;
      comment.maxLength = 4000;
      field(fields, "Type pièce", kind);
      field(fields, "Titre document", title);
      field(fields, "Commentaire", comment);
      // Each row's fields say which file they describe.
      for (const control of [kind, title, comment]) control.setAttribute("aria-describedby", name.id);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "lien";
      remove.textContent = "Ne pas joindre ce fichier";
      remove.setAttribute("aria-label", `Ne pas joindre ce fichier : ${file.name}`);
      const progress = document.createElement("progress");
      progress.hidden = true;
      progress.max = 1;
      progress.value = 0;
      progress.setAttribute("aria-label", `Envoi de ${file.name}`);
      const status = document.createElement("span");
      status.className = "etat-envoi";
      status.setAttribute("role", "status");
      row.append(name, fields, remove, progress, status);
      list.append(row);
      const entry = { file, row, kind, title, comment, remove, progress, status, gone: false, sent: false };
      remove.addEventListener("click", () => {
        entry.gone = true;
        row.remove();
        list.hidden = !entries.some((e) => !e.gone);
        input.focus();
      });
      entries.push(entry);
    }
    list.hidden = !entries.some((e) => !e.gone);
  }

  input.addEventListener("change", () => {
    add(input.files);
    input.value = "";
  });
  for (const type of ["dragenter", "dragover"]) {
    form.addEventListener(type, (event) => {
      event.preventDefault();
      drop.classList.add("survol");
    });
  }
  form.addEventListener("dragleave", (event) => {
    if (!form.contains(event.relatedTarget)) drop.classList.remove("survol");
  });
  form.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("survol");
    add(event.dataTransfer.files);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const waiting = entries.filter((e) => !e.gone && !e.sent);
    if (waiting.length === 0) {
      say(null, "Choisissez au moins un fichier.");
      input.focus();
      return;
    }
    submit.disabled = true;
    // Three at a time: the service takes six uploads at once from one person.
    const queue = waiting.slice();
    const workers = [1, 2, 3].map(async () => {
      while (queue.length > 0) await send(queue.shift());
    });
    await Promise.all(workers);
    submit.disabled = false;
    const done = document.createElement("p");
    const link = document.createElement("a");
    const ids = (list) => encodeURIComponent(list.join(","));
    link.href = `${location.pathname}?onglet=documents&joints=${ids(joined)}&deja=${ids(already)}#onglets`;
    link.textContent = "Afficher la liste des documents à jour";
    done.append(link);
    list.after(done);
  });

  function send(entry) {
    entry.sent = true;
    entry.remove.hidden = true;
    for (const control of [entry.kind, entry.title, entry.comment]) control.disabled = true;
    entry.progress.hidden = false;
    entry.status.textContent = "Envoi en cours…";
    const data = new FormData();
    data.append("csrf", csrf);
    if (entry.kind.value) data.append("kind", entry.kind.value);
    if (entry.title.value.trim()) data.append("title", entry.title.value.trim());
    if (entry.comment.value.trim()) data.append("comment", entry.comment.value.trim());
    data.append("file", entry.file, entry.file.name);
    return new Promise((resolve) => {
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) {
          entry.progress.max = e.total;
          entry.progress.value = e.loaded;
        }
      });
      request.addEventListener("load", () => {
        entry.progress.value = entry.progress.max;
        let body = null;
        try {
          body = JSON.parse(request.responseText);
        } catch (_) {
          body = null;
        }
        const result = body && body.results ? body.results[0] : null;
        if (result && result.document) {
          const duplicate = result.status === 200;
          (duplicate ? already : joined).push(result.document.id);
          say(entry, duplicate ? "Déjà joint : ce fichier était déjà dans ce dossier." : "Reçu. En attente de lecture…");
          if (!duplicate) follow(entry, result.document.id);
        } else if (result && result.problem) {
          say(entry, `Non joint : ${result.problem.detail_fr}`, true);
        } else if (body && body.detail_fr) {
          say(entry, `Non joint : ${body.detail_fr}`, true);
        } else {
          say(entry, "Non joint : votre session a peut-être expiré. Rechargez la page et recommencez.", true);
        }
        resolve();
      });
      request.addEventListener("error", () => {
        say(entry, "Non joint : l'envoi a été interrompu. Vérifiez la connexion et recommencez.", true);
        resolve();
      });
      request.send(data);
    });
  }

  // Asks for the piece's reading every second (two minutes at most) until it is over.
  async function follow(entry, id) {
    for (let i = 0; i < 120; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      let reading;
      try {
        const answer = await fetch(`/pieces/${encodeURIComponent(id)}/lecture`, { headers: { Accept: "application/json" } });
        if (!answer.ok) return;
        reading = await answer.json();
      } catch (_) {
        return;
      }
      say(entry, reading.done ? `Reçu. ${reading.status}` : "Reçu. En attente de lecture…");
      if (reading.warning) say(entry, `Reçu. ${reading.status}. ${reading.warning}`, true);
      if (reading.done) return;
    }
  }

  function say(entry, text, problem) {
    if (!entry) {
      let note = form.querySelector(".note-envoi");
      if (!note) {
        note = document.createElement("p");
        note.className = "note-envoi erreur";
        note.setAttribute("role", "alert");
        list.before(note);
      }
      note.textContent = text;
      return;
    }
    entry.status.textContent = text;
    entry.status.classList.toggle("alerte", Boolean(problem));
  }
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} Ko`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace(".", ",")} Mo`;
}

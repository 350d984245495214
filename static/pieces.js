// Mon Compte works without this script: it only adds comfort to the pages.
// A list filter's sort choice applies at once, without pressing "Afficher".
document.addEventListener("DOMContentLoaded", () => {
  const sort = document.querySelector(".filtres select[name=tri]");
  if (sort) sort.addEventListener("change", () => sort.form.submit());
});

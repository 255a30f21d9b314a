// A button that prints the page (the print stylesheet lays it out on A4).
document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-print]");
  if (b) {
    e.preventDefault();
    window.print();
  }
});

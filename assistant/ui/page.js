() => {
  // Clicking a citation marker [n] brings its source card into view and flashes it.
  document.addEventListener("click", (event) => {
    const target = event.target;
    const ref = target instanceof Element ? target.closest(".cite-ref") : null;
    const answer = ref ? ref.closest(".answer") : null;
    if (!ref || !answer) return;
    const n = ref.textContent.replace(/[^0-9]/g, "");
    const card = Array.from(answer.querySelectorAll(".source-card")).find(
      (c) => c.querySelector(".source-n")?.textContent.trim() === n
    );
    if (!card) return;
    card.scrollIntoView({ behavior: "smooth", block: "nearest" });
    card.classList.remove("flash");
    void card.offsetWidth; // restart the animation
    card.classList.add("flash");
  });
}

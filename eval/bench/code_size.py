"""Code size of a tree (issue 11): the ten longest functions, how many pass 60 lines, and the
modules over 400 lines. Usage: python eval/bench/code_size.py [TREE] (default: this checkout)."""

from __future__ import annotations

import ast
import pathlib
import sys


def main() -> None:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2])
    functions: list[tuple[int, str]] = []
    modules: list[tuple[int, str]] = []
    for path in sorted((root / "assistant").rglob("*.py")):
        source = path.read_text()
        name = str(path.relative_to(root))
        lines = len(source.splitlines())
        if lines > 400:
            modules.append((lines, name))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                functions.append((node.end_lineno - node.lineno + 1, f"{name}:{node.name}"))
    functions.sort(reverse=True)
    print("ten longest functions:", ", ".join(f"{n} {where}" for n, where in functions[:10]))
    over = sum(1 for n, _ in functions if n > 60)
    print("functions over 60:", over, "| modules over 400:", sorted(modules, reverse=True))


if __name__ == "__main__":
    main()

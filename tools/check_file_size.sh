#!/usr/bin/env bash
# Warns about source files over 1,000 lines (STYLE.md §2: above 800 a split plan is due).
# Never fails: the review decides. Works from any directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

limit=1000

# Tracked and new (not ignored) files; outside a git checkout, everything but build trees.
list_sources() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard '*.cpp' '*.hpp' '*.h' '*.cc'
    else
        find . -path './build*' -prune -o -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \
            -o -name '*.cc' \) -print0
    fi
}

over=0
while IFS= read -r -d '' file; do
    [ -f "$file" ] || continue
    lines=$(wc -l <"$file")
    if [ "$lines" -gt "$limit" ]; then
        echo "warning: $file has $lines lines (over $limit; STYLE.md §2 asks for a split)"
        over=$((over + 1))
    fi
done < <(list_sources)
echo "check_file_size: $over file(s) over $limit lines"
exit 0

package dev.paird.ctl;

import java.util.ArrayList;
import java.util.List;

/** Rows of text under a header, in left-aligned columns two spaces apart. Cells must be safe. */
final class Table {
  private final List<String[]> rows = new ArrayList<>();
  private final int columns;

  Table(String... header) {
    this.columns = header.length;
    rows.add(header);
  }

  Table row(String... cells) {
    if (cells.length != columns) {
      throw new IllegalArgumentException(columns + " cells expected, not " + cells.length);
    }
    rows.add(cells);
    return this;
  }

  /** The table, one line per row, each ending in a newline; no trailing spaces. */
  @Override
  public String toString() {
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], width(row[i]));
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(row[i]);
        if (i < columns - 1) {
          line.append(" ".repeat(widths[i] - width(row[i]) + 2));
        }
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  private static int width(String cell) {
    return cell.codePointCount(0, cell.length());
  }
}

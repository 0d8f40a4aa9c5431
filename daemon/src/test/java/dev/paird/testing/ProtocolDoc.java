package dev.paird.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The worked examples of docs/PROTOCOL.md, read from the document itself so that a test fails when
 * the document and the code disagree. A section's values are the {@code name = value} lines inside
 * its fenced code blocks, up to the next heading of the same or a higher level.
 */
public final class ProtocolDoc {
  private static final Pattern VALUE =
      Pattern.compile("^([A-Za-z][A-Za-z0-9_()]*)\\s+=\\s+(\\S+)$");

  private ProtocolDoc() {}

  /** The repository's docs/PROTOCOL.md (tests run in the daemon module's directory). */
  public static Path path() {
    return Path.of(System.getProperty("user.dir")).resolve("../docs/PROTOCOL.md").normalize();
  }

  /** The values of the section whose heading is {@code heading} (without the #s). */
  public static Map<String, String> section(String heading) {
    List<String> lines;
    try {
      lines = Files.readAllLines(path());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> values = new LinkedHashMap<>();
    int level = -1;
    boolean inFence = false;
    for (String line : lines) {
      if (line.startsWith("```")) {
        inFence = !inFence;
        continue;
      }
      if (!inFence && line.startsWith("#")) {
        int hashes = line.indexOf(' ');
        String title = line.substring(hashes + 1).strip();
        if (level < 0 && title.equals(heading)) {
          level = hashes;
          continue;
        }
        if (level >= 0 && hashes <= level) {
          break;
        }
      }
      if (level >= 0 && inFence) {
        Matcher m = VALUE.matcher(line.strip());
        if (m.matches()) {
          values.put(m.group(1), m.group(2));
        }
      }
    }
    if (level < 0) {
      throw new AssertionError("docs/PROTOCOL.md has no section '" + heading + "'");
    }
    return values;
  }
}

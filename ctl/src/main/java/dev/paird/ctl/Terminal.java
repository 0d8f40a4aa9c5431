package dev.paird.ctl;

import dev.paird.api.Printable;
import java.nio.charset.Charset;
import java.nio.charset.CharsetEncoder;
import java.util.function.IntPredicate;

/**
 * Makes text safe to print: subjects, labels and host names come from other devices, and a control
 * character in one could move the cursor, recolour the screen or hide what follows.
 *
 * <p>The rule is {@link Printable}'s, with the output's charset deciding what it can show: control,
 * formatting (such as bidirectional overrides), line-separator, private-use and unassigned
 * characters, lone surrogates and whatever the charset cannot encode are written as C-style escapes
 * ({@code \x1b}, {@code \u202e}, {@code \U000e0001}); a backslash is doubled.
 */
final class Terminal {
  private final CharsetEncoder encoder;
  private final String ellipsis;
  private final IntPredicate shows = new Encodable();

  /** {@code charset}: what the output stream encodes with. */
  Terminal(Charset charset) {
    this.encoder = charset.newEncoder();
    this.ellipsis = encoder.canEncode('\u2026') ? "\u2026" : "...";
  }

  /** The charset of this process's stdout, as the JDK chose it. */
  static Charset stdoutCharset() {
    for (String property : new String[] {"stdout.encoding", "sun.stdout.encoding"}) {
      String name = System.getProperty(property);
      if (name != null) {
        try {
          return Charset.forName(name);
        } catch (IllegalArgumentException e) {
          // An encoding this JVM does not know; the default is what System.out uses then.
        }
      }
    }
    return Charset.defaultCharset();
  }

  /** "…" if the output can show it, else "...". */
  String ellipsis() {
    return ellipsis;
  }

  /** {@code text} with everything unsafe escaped; null becomes "-". */
  String safe(String text) {
    return text == null ? "-" : Printable.escaped(text, shows);
  }

  /**
   * Whether the output can show a code point; a class rather than a method reference, whose first
   * use costs a bootstrap through java.lang.invoke in every run that prints text.
   */
  private final class Encodable implements IntPredicate {
    @Override
    public boolean test(int c) {
      return c < 0x80 || encoder.canEncode(new String(Character.toChars(c)));
    }
  }
}

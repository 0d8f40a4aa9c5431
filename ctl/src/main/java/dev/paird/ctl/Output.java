package dev.paird.ctl;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * What pairctl prints for one answer: text, and the secrets among it ({@link SecretValue}), which
 * are written to standard output without ever becoming part of a {@code String}.
 */
final class Output {
  private final List<Object> parts = new ArrayList<>();

  /** Output of {@code text} alone. */
  static Output of(String text) {
    return new Output().text(text);
  }

  Output text(String text) {
    if (!text.isEmpty()) {
      parts.add(text);
    }
    return this;
  }

  Output secret(SecretValue secret) {
    parts.add(secret);
    return this;
  }

  /** Appends the parts of {@code more}. */
  Output then(Output more) {
    parts.addAll(more.parts);
    return this;
  }

  /** Strings and {@link SecretValue}s, in order. */
  List<Object> parts() {
    return parts;
  }

  /**
   * Prints the text through {@code out} and each secret straight to {@code raw}, after flushing
   * {@code out}; then wipes every secret, printed or not.
   *
   * @return false if {@code out} reports an error
   * @throws IOException if {@code raw} fails
   */
  boolean printTo(PrintStream out, OutputStream raw) throws IOException {
    try {
      for (Object part : parts) {
        if (part instanceof SecretValue secret) {
          out.flush();
          secret.writeTo(raw);
          raw.flush();
        } else {
          out.print((String) part);
        }
      }
      out.flush();
      return !out.checkError();
    } finally {
      destroy();
    }
  }

  /** Wipes every secret, printed or not. */
  void destroy() {
    for (Object part : parts) {
      if (part instanceof SecretValue secret) {
        secret.destroy();
      }
    }
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder();
    for (Object part : parts) {
      text.append(part instanceof String s ? s : SecretValue.REDACTED);
    }
    return text.toString();
  }
}

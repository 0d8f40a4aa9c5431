package dev.paird.ctl;

import java.nio.file.Path;
import java.util.Objects;

/** What a pairctl command line asks for, decided without any I/O. */
sealed interface Parsed {

  /** Send {@code request} to the paird at {@code socket}; {@code json}: print JSON, not text. */
  record Run(Path socket, boolean json, Request request) implements Parsed {
    public Run {
      Objects.requireNonNull(socket, "socket");
      Objects.requireNonNull(request, "request");
    }
  }

  /** Print {@code text} (help or version) on stdout and succeed. */
  record Show(String text) implements Parsed {}

  /**
   * The command line is wrong: say {@code message}, point at {@code helpCommand}'s help and exit
   * with the usage status. {@code json}: the command line asked for JSON output.
   */
  record Usage(String message, String helpCommand, boolean json) implements Parsed {}
}

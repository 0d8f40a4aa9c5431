package dev.paird.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.ControlRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * A request pairctl makes of paird, as parsed from its command line: the {@link ControlRequest} it
 * sends (whose name and {@code args} are the shared model's), with what only pairctl needs around
 * it, and how long paird may take to answer.
 */
sealed interface Request {
  /** How long paird may take to answer a command that does not wait for another device. */
  Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /**
   * How long pair and ping may take: paird answers them within 85 s of the request whatever its
   * settings (docs/CONTROL.md), abandoning an attempt still running then, so this wait is never the
   * shorter one. By default paird gives up on the other device sooner, after connect_timeout (10 s,
   * for each of the host's addresses) and exchange_timeout (30 s, the TLS handshake included).
   */
  Duration PEER_TIMEOUT = Duration.ofSeconds(90);

  /** What goes to paird; for pair, without the key, which pairctl adds as it sends. */
  ControlRequest control();

  default Command command() {
    return control().command();
  }

  /** The request's {@code args} object; empty for the commands that take no arguments. */
  default ObjectNode args() {
    return Json.object(control().args());
  }

  default Duration timeout() {
    return DEFAULT_TIMEOUT;
  }

  /** A command whose answer pairctl only shows: status, list-keys, cancel-key, ping, remove. */
  record Send(ControlRequest control) implements Request {
    public Send {
      Objects.requireNonNull(control, "control");
    }

    @Override
    public Duration timeout() {
      return control instanceof ControlRequest.Ping ? PEER_TIMEOUT : DEFAULT_TIMEOUT;
    }
  }

  /** {@code waitForPeer}: after the key is shown, wait until it is used or ends. */
  record NewKey(ControlRequest.NewKey control, boolean waitForPeer) implements Request {
    public NewKey {
      Objects.requireNonNull(control, "control");
    }
  }

  /** Where pair gets its key from. Only {@link Argument} holds the key itself. */
  sealed interface KeySource {
    /** The key was on the command line, where other users can see it: it is already public. */
    record Argument(String key) implements KeySource {
      public Argument {
        Objects.requireNonNull(key, "key");
      }

      @Override
      public String toString() {
        return "Argument[redacted]";
      }
    }

    /** The first line of a file. */
    record File(Path path) implements KeySource {
      public File {
        Objects.requireNonNull(path, "path");
      }
    }

    /** Asked for on the terminal, or read from standard input when that is not a terminal. */
    record Ask() implements KeySource {}
  }

  /**
   * Pair using the key from {@code key}. The key is not among {@link #args()}: pairctl adds it to
   * the request itself, from an array it wipes.
   */
  record Pair(ControlRequest.Pair control, KeySource key) implements Request {
    public Pair {
      Objects.requireNonNull(control, "control");
      Objects.requireNonNull(key, "key");
    }

    @Override
    public Duration timeout() {
      return PEER_TIMEOUT;
    }
  }

  /** {@code full}: show whole fingerprints (only the display differs). */
  record ListTrusted(boolean full) implements Request {
    @Override
    public ControlRequest control() {
      return new ControlRequest.ListTrusted();
    }
  }

  /** {@code pem}: print only the certificate (only the display differs). */
  record Show(String fingerprint, boolean pem) implements Request {
    public Show {
      Objects.requireNonNull(fingerprint, "fingerprint");
    }

    @Override
    public ControlRequest control() {
      return new ControlRequest.Show(fingerprint);
    }
  }
}

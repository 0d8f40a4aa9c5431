package dev.paird.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.Suite;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A request pairctl makes of paird, as parsed from its command line: one record per command,
 * each knowing its control-protocol name, its {@code args} and how long paird may take to answer.
 */
sealed interface Request {
  /** How long paird may take to answer a command that does not wait for another device. */
  Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /**
   * How long pair and ping may take: paird itself gives up on the other device after its
   * connect, handshake and exchange timeouts (50 s together by default) and then answers.
   */
  Duration PEER_TIMEOUT = Duration.ofSeconds(90);

  Command command();

  /** The request's {@code args} object; empty for the commands that take no arguments. */
  default ObjectNode args() {
    return Json.object();
  }

  default Duration timeout() {
    return DEFAULT_TIMEOUT;
  }

  record Status() implements Request {
    @Override
    public Command command() {
      return Command.STATUS;
    }
  }

  /** {@code waitForPeer}: after the key is shown, wait until it is used or ends. */
  record NewKey(Optional<Suite> suite, Optional<Duration> lifetime, boolean waitForPeer)
      implements Request {
    @Override
    public Command command() {
      return Command.NEW_KEY;
    }

    @Override
    public ObjectNode args() {
      ObjectNode args = Json.object();
      suite.ifPresent(s -> args.put("suite", s.wireName()));
      lifetime.ifPresent(ttl -> args.put("ttl_seconds", ttl.getSeconds()));
      return args;
    }
  }

  record ListKeys() implements Request {
    @Override
    public Command command() {
      return Command.LIST_KEYS;
    }
  }

  record CancelKey(String id) implements Request {
    public CancelKey {
      Objects.requireNonNull(id, "id");
    }

    @Override
    public Command command() {
      return Command.CANCEL_KEY;
    }

    @Override
    public ObjectNode args() {
      return Json.object().put("id", id);
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
   * Pair with {@code host} using the key from {@code key}. The key is not among {@link #args()}:
   * pairctl adds it to the request itself, from an array it wipes.
   */
  record Pair(String host, KeySource key, Optional<String> label) implements Request {
    public Pair {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(label, "label");
    }

    @Override
    public Command command() {
      return Command.PAIR;
    }

    @Override
    public ObjectNode args() {
      ObjectNode args = Json.object().put("host", host);
      label.ifPresent(l -> args.put("label", l));
      return args;
    }

    @Override
    public Duration timeout() {
      return PEER_TIMEOUT;
    }
  }

  record Ping(String host) implements Request {
    public Ping {
      Objects.requireNonNull(host, "host");
    }

    @Override
    public Command command() {
      return Command.PING;
    }

    @Override
    public ObjectNode args() {
      return Json.object().put("host", host);
    }

    @Override
    public Duration timeout() {
      return PEER_TIMEOUT;
    }
  }

  /** {@code full}: show whole fingerprints (only the display differs). */
  record ListTrusted(boolean full) implements Request {
    @Override
    public Command command() {
      return Command.LIST_TRUSTED;
    }
  }

  /** {@code pem}: print only the certificate (only the display differs). */
  record Show(String fingerprint, boolean pem) implements Request {
    public Show {
      Objects.requireNonNull(fingerprint, "fingerprint");
    }

    @Override
    public Command command() {
      return Command.SHOW;
    }

    @Override
    public ObjectNode args() {
      return Json.object().put("fingerprint", fingerprint);
    }
  }

  record Remove(String fingerprint) implements Request {
    public Remove {
      Objects.requireNonNull(fingerprint, "fingerprint");
    }

    @Override
    public Command command() {
      return Command.REMOVE;
    }

    @Override
    public ObjectNode args() {
      return Json.object().put("fingerprint", fingerprint);
    }
  }
}

package dev.paird.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.paird.api.ControlProtocol;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Suite;
import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed control-socket request. Parsing checks shape and types only; the service checks
 * meaning (does the key exist, is the host reachable).
 */
public sealed interface ControlRequest {

  Command command();

  record Status() implements ControlRequest {
    @Override
    public Command command() {
      return Command.STATUS;
    }
  }

  record NewKey(Optional<Suite> suite, Optional<Duration> lifetime) implements ControlRequest {
    @Override
    public Command command() {
      return Command.NEW_KEY;
    }
  }

  record WaitKey(String id) implements ControlRequest {
    @Override
    public Command command() {
      return Command.WAIT_KEY;
    }
  }

  record ListKeys() implements ControlRequest {
    @Override
    public Command command() {
      return Command.LIST_KEYS;
    }
  }

  record CancelKey(String id) implements ControlRequest {
    @Override
    public Command command() {
      return Command.CANCEL_KEY;
    }
  }

  /**
   * Pair with the device at {@code host} using {@code key}, which is secret: whoever executes
   * the request wipes the array once the key is parsed.
   */
  record Pair(String host, char[] key, Optional<String> label) implements ControlRequest {
    @Override
    public Command command() {
      return Command.PAIR;
    }

    @Override
    public String toString() {
      return "Pair[host=" + host + ", key=redacted, label=" + label + "]";
    }
  }

  record Ping(String host) implements ControlRequest {
    @Override
    public Command command() {
      return Command.PING;
    }
  }

  record ListTrusted() implements ControlRequest {
    @Override
    public Command command() {
      return Command.LIST_TRUSTED;
    }
  }

  record Show(String fingerprint) implements ControlRequest {
    @Override
    public Command command() {
      return Command.SHOW;
    }
  }

  record Remove(String fingerprint) implements ControlRequest {
    @Override
    public Command command() {
      return Command.REMOVE;
    }
  }

  /** Longest host name, label or id accepted. */
  int MAX_TEXT = 255;

  /**
   * Parses one request object: {@code {"v": 1, "command": NAME, "args": {...}}}.
   *
   * @throws PairdException {@code bad_request}, {@code unsupported_version},
   *     {@code unknown_command} or {@code invalid_argument}, naming the offending field
   */
  static ControlRequest parse(JsonNode root) throws PairdException {
    return parse(root, null);
  }

  /**
   * {@link #parse(JsonNode)} for a request whose {@code args.key}, if it had one, was taken out
   * of {@code root} as {@code key} (see {@link ControlCodec.RequestLine}); the request returned
   * shares that array.
   */
  static ControlRequest parse(JsonNode root, char[] key) throws PairdException {
    if (root == null || !root.isObject()) {
      throw new PairdException(ErrorCode.BAD_REQUEST, "a request must be a JSON object");
    }
    JsonNode version = root.get("v");
    if (version == null || !version.isInt()) {
      throw new PairdException(
          ErrorCode.BAD_REQUEST, "missing \"v\": send {\"v\": " + ControlProtocol.VERSION + ", ...}");
    }
    if (version.intValue() != ControlProtocol.VERSION) {
      throw new PairdException(
          ErrorCode.UNSUPPORTED_VERSION,
          "this daemon speaks control protocol version " + ControlProtocol.VERSION + ", not "
              + version.intValue() + "; use a pairctl of the same release");
    }
    checkFields(root, "request", Set.of("v", "command", "args", "id"));
    JsonNode name = root.get("command");
    if (name == null || !name.isTextual()) {
      throw new PairdException(ErrorCode.BAD_REQUEST, "missing \"command\" (a string)");
    }
    Command command = Command.fromWireName(name.textValue()).orElseThrow(() -> new PairdException(
        ErrorCode.UNKNOWN_COMMAND, "unknown command '" + printable(name.textValue())
            + "'; see docs/CONTROL.md for the commands"));
    JsonNode args = root.get("args");
    if (args == null || args.isNull()) {
      args = JsonNodeFactory.instance.objectNode();
    } else if (!args.isObject()) {
      throw new PairdException(ErrorCode.BAD_REQUEST, "\"args\" must be a JSON object");
    }
    Args a = new Args(command, args);
    switch (command) {
      case STATUS:
        a.allow();
        return new Status();
      case NEW_KEY:
        a.allow("suite", "ttl_seconds");
        Optional<String> suiteName = a.optionalText("suite");
        Optional<Suite> suite = suiteName.flatMap(Suite::fromWireName);
        if (suiteName.isPresent() && suite.isEmpty()) {
          throw a.invalid("suite", "must be \"hmac\" or \"spake2\"");
        }
        return new NewKey(suite, a.optionalSeconds("ttl_seconds"));
      case WAIT_KEY:
        a.allow("id");
        return new WaitKey(a.text("id"));
      case LIST_KEYS:
        a.allow();
        return new ListKeys();
      case CANCEL_KEY:
        a.allow("id");
        return new CancelKey(a.text("id"));
      case PAIR:
        a.allow("host", "key", "label");
        String host = a.text("host");
        Optional<String> label = a.optionalText("label");
        return new Pair(host, key != null ? a.secret("key", key) : a.text("key").toCharArray(),
            label);
      case PING:
        a.allow("host");
        return new Ping(a.text("host"));
      case LIST_TRUSTED:
        a.allow();
        return new ListTrusted();
      case SHOW:
        a.allow("fingerprint");
        return new Show(a.text("fingerprint"));
      case REMOVE:
        a.allow("fingerprint");
        return new Remove(a.text("fingerprint"));
      default:
        throw new AssertionError(command);
    }
  }

  private static void checkFields(JsonNode node, String what, Set<String> allowed)
      throws PairdException {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String field = names.next();
      if (!allowed.contains(field)) {
        throw new PairdException(
            ErrorCode.BAD_REQUEST, "unknown field \"" + printable(field) + "\" in " + what);
      }
    }
  }

  /** A user-supplied name made safe to echo: bounded, printable ASCII. */
  static String printable(String text) {
    return printable(text, 40);
  }

  /** {@code text} as printable ASCII, cut to {@code limit} characters and "...". */
  static String printable(String text, int limit) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < limit; i++) {
      char c = text.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return text.length() > limit ? out + "..." : out.toString();
  }

  /** Typed access to one command's arguments with messages naming the argument. */
  final class Args {
    private final Command command;
    private final JsonNode args;

    Args(Command command, JsonNode args) {
      this.command = command;
      this.args = args;
    }

    void allow(String... names) throws PairdException {
      checkFields(args, command.wireName() + " args", Set.of(names));
    }

    PairdException invalid(String name, String problem) {
      return new PairdException(
          ErrorCode.INVALID_ARGUMENT, command.wireName() + ": \"" + name + "\" " + problem);
    }

    String text(String name) throws PairdException {
      return optionalText(name).orElseThrow(() -> invalid(name, "is required"));
    }

    Optional<String> optionalText(String name) throws PairdException {
      JsonNode value = args.get(name);
      if (value == null || value.isNull()) {
        return Optional.empty();
      }
      if (!value.isTextual()) {
        throw invalid(name, "must be a string");
      }
      String text = value.textValue();
      if (text.isEmpty() || text.length() > MAX_TEXT) {
        throw invalid(name, "must be 1 to " + MAX_TEXT + " characters");
      }
      if (text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw invalid(name, "must not contain control characters");
      }
      return Optional.of(text);
    }

    /** A string argument taken out of the tree as {@code value}, checked as {@link #text} is. */
    char[] secret(String name, char[] value) throws PairdException {
      if (value.length == 0 || value.length > MAX_TEXT) {
        throw invalid(name, "must be 1 to " + MAX_TEXT + " characters");
      }
      for (char c : value) {
        if (c < 0x20 || c == 0x7f) {
          throw invalid(name, "must not contain control characters");
        }
      }
      return value;
    }

    Optional<Duration> optionalSeconds(String name) throws PairdException {
      JsonNode value = args.get(name);
      if (value == null || value.isNull()) {
        return Optional.empty();
      }
      if (!value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() <= 0) {
        throw invalid(name, "must be a positive whole number of seconds");
      }
      return Optional.of(Duration.ofSeconds(value.intValue()));
    }
  }
}

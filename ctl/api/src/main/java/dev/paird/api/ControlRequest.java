package dev.paird.api;

import dev.paird.api.ControlProtocol.Command;
import java.math.BigInteger;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A control-socket request, one record per command: what pairctl sends and paird runs. The
 * command's name, its arguments, their names on the wire and their checks live here, once, for both
 * programs; {@code docs/CONTROL.md} specifies them.
 *
 * <p>Parsing checks shape and types only; paird's service checks meaning (does the key exist, is
 * the host reachable). The one secret argument, {@code pair}'s {@link Pair#KEY key}, is no field of
 * any record: it travels beside the request, in an array its holder wipes.
 */
public sealed interface ControlRequest {

  /** Longest host name, id or fingerprint accepted, in characters. */
  int MAX_TEXT = 255;

  /** Longest label accepted, in characters. */
  int MAX_LABEL = 64;

  /** How much of a name the caller sent an error message echoes, in characters. */
  int ECHO_LIMIT = 40;

  /** The fields of a request object besides {@code args}. */
  List<String> ENVELOPE = List.of("v", "command", "args", "id");

  Command command();

  /** The request's {@code args} on the wire, in their order: strings and numbers. */
  default Map<String, Object> args() {
    return Map.of();
  }

  record Status() implements ControlRequest {
    @Override
    public Command command() {
      return Command.STATUS;
    }
  }

  record NewKey(Optional<Suite> suite, Optional<Duration> lifetime) implements ControlRequest {
    public NewKey {
      Objects.requireNonNull(suite, "suite");
      Objects.requireNonNull(lifetime, "lifetime");
    }

    @Override
    public Command command() {
      return Command.NEW_KEY;
    }

    @Override
    public Map<String, Object> args() {
      Map<String, Object> args = new LinkedHashMap<>();
      // Without lambdas, whose first call costs pairctl a bootstrap through java.lang.invoke.
      if (suite.isPresent()) {
        args.put("suite", suite.get().wireName());
      }
      if (lifetime.isPresent()) {
        args.put("ttl_seconds", lifetime.get().toSeconds());
      }
      return args;
    }
  }

  record WaitKey(String id) implements ControlRequest {
    public WaitKey {
      Objects.requireNonNull(id, "id");
    }

    @Override
    public Command command() {
      return Command.WAIT_KEY;
    }

    @Override
    public Map<String, Object> args() {
      return Map.of("id", id);
    }
  }

  record ListKeys() implements ControlRequest {
    @Override
    public Command command() {
      return Command.LIST_KEYS;
    }
  }

  record CancelKey(String id) implements ControlRequest {
    public CancelKey {
      Objects.requireNonNull(id, "id");
    }

    @Override
    public Command command() {
      return Command.CANCEL_KEY;
    }

    @Override
    public Map<String, Object> args() {
      return Map.of("id", id);
    }
  }

  /**
   * Pair with the device at {@code host}. The key is the argument {@value #KEY}, which is not among
   * {@link #args()}: the sender writes it from an array it wipes, and paird's parser hands it on
   * beside this request.
   */
  record Pair(String host, Optional<String> label) implements ControlRequest {
    /** The name of the secret argument. */
    public static final String KEY = "key";

    public Pair {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(label, "label");
    }

    @Override
    public Command command() {
      return Command.PAIR;
    }

    @Override
    public Map<String, Object> args() {
      Map<String, Object> args = new LinkedHashMap<>();
      args.put("host", host);
      if (label.isPresent()) {
        args.put("label", label.get());
      }
      return args;
    }
  }

  record Ping(String host) implements ControlRequest {
    public Ping {
      Objects.requireNonNull(host, "host");
    }

    @Override
    public Command command() {
      return Command.PING;
    }

    @Override
    public Map<String, Object> args() {
      return Map.of("host", host);
    }
  }

  record ListTrusted() implements ControlRequest {
    @Override
    public Command command() {
      return Command.LIST_TRUSTED;
    }
  }

  record Show(String fingerprint) implements ControlRequest {
    public Show {
      Objects.requireNonNull(fingerprint, "fingerprint");
    }

    @Override
    public Command command() {
      return Command.SHOW;
    }

    @Override
    public Map<String, Object> args() {
      return Map.of("fingerprint", fingerprint);
    }
  }

  record Remove(String fingerprint) implements ControlRequest {
    public Remove {
      Objects.requireNonNull(fingerprint, "fingerprint");
    }

    @Override
    public Command command() {
      return Command.REMOVE;
    }

    @Override
    public Map<String, Object> args() {
      return Map.of("fingerprint", fingerprint);
    }
  }

  /**
   * Checks the text arguments of {@code request} as {@link #parse} does, so that a client can
   * refuse one before it connects: with the same message, rather than the one for a request line
   * too long to read that an argument of many kilobytes would get from paird.
   *
   * @throws PairdException {@code invalid_argument}, naming the argument
   */
  static void checkArguments(ControlRequest request) throws PairdException {
    checkArguments(request, name -> request.command().wireName() + ": \"" + name + "\"");
  }

  /**
   * {@link #checkArguments(ControlRequest)}, naming an argument as {@code shown} gives it: as a
   * command line knows it ({@code --label}, {@code HOST}) rather than as its field.
   */
  static void checkArguments(ControlRequest request, Function<String, String> shown)
      throws PairdException {
    for (Map.Entry<String, Object> arg : request.args().entrySet()) {
      if (arg.getValue() instanceof String text) {
        Optional<String> problem = Arguments.textProblem(arg.getKey(), text);
        if (problem.isPresent()) {
          throw new PairdException(
              ErrorCode.INVALID_ARGUMENT, shown.apply(arg.getKey()) + " " + problem.get());
        }
      }
    }
  }

  /** A JSON object as whoever read it presents it, so that this module needs no JSON library. */
  interface Fields {
    /** The object's field names, in order. */
    Iterable<String> names();

    /**
     * The value of {@code name}: null if it is absent or JSON null; a {@code String} for a string;
     * an {@code Integer} for a whole number that fits an int, a {@code BigInteger} for a larger
     * one; {@code Fields} for an object; any other object for any other value.
     */
    Object get(String name);
  }

  /**
   * Parses one request object, {@code {"v": 1, "command": NAME, "args": {...}, "id": ANY}}.
   *
   * @param root the request as {@link Fields}, or any other object if it is not a JSON object
   * @param key the {@code args.key} string, taken out of {@code root} by the JSON reader so that no
   *     {@code String} of it exists; null if {@code args} had no string {@code key}. Only checked
   *     here: the caller keeps it, and wipes it.
   * @throws PairdException {@code bad_request}, {@code unsupported_version}, {@code
   *     unknown_command} or {@code invalid_argument}, naming the offending field
   */
  static ControlRequest parse(Object root, char[] key) throws PairdException {
    if (!(root instanceof Fields request)) {
      throw new PairdException(
          ErrorCode.BAD_REQUEST,
          "a request must be a JSON object, such as {\"v\":1,\"command\":\"status\"}");
    }
    Object v = request.get("v");
    if (v == null) {
      throw new PairdException(
          ErrorCode.BAD_REQUEST,
          "missing \"v\": send {\"v\": " + ControlProtocol.VERSION + ", ...}");
    }
    if (!(v instanceof Integer version)) {
      throw new PairdException(
          ErrorCode.BAD_REQUEST,
          "\"v\" must be the protocol version, a small whole number without quotes or a"
              + " fraction: send {\"v\": "
              + ControlProtocol.VERSION
              + ", ...}");
    }
    if (version != ControlProtocol.VERSION) {
      throw new PairdException(
          ErrorCode.UNSUPPORTED_VERSION,
          "this daemon speaks control protocol version "
              + ControlProtocol.VERSION
              + ", not "
              + version
              + "; use a pairctl of the same release");
    }
    Arguments.checkFields(request, "request", ENVELOPE);
    Object named = request.get("command");
    if (!(named instanceof String name)) {
      throw new PairdException(
          ErrorCode.BAD_REQUEST,
          (named == null ? "missing \"command\"" : "\"command\" must be a string")
              + ", such as \"status\"; see docs/CONTROL.md for the commands");
    }
    Command command =
        Command.fromWireName(name)
            .orElseThrow(
                () ->
                    new PairdException(
                        ErrorCode.UNKNOWN_COMMAND,
                        "unknown command '"
                            + Echo.of(name)
                            + "'; see docs/CONTROL.md for the commands"));
    Object args = request.get("args");
    if (args != null && !(args instanceof Fields)) {
      throw new PairdException(
          ErrorCode.BAD_REQUEST,
          "\"args\" must be a JSON object, such as {\"id\":\"42\"}; leave it out if the command"
              + " takes none");
    }
    Arguments a = new Arguments(command, (Fields) args);
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
        a.allow("host", Pair.KEY, "label");
        String host = a.text("host");
        Optional<String> label = a.optionalText("label");
        a.secret(Pair.KEY, key);
        return new Pair(host, label);
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

  /** Typed access to one command's arguments, with messages naming the argument. */
  final class Arguments {
    private final Command command;
    private final Fields args;

    private Arguments(Command command, Fields args) {
      this.command = command;
      this.args = args;
    }

    private static void checkFields(Fields node, String what, List<String> allowed)
        throws PairdException {
      for (String field : node.names()) {
        if (!allowed.contains(field)) {
          throw new PairdException(
              ErrorCode.BAD_REQUEST,
              "unknown field \""
                  + Echo.of(field)
                  + "\" in "
                  + what
                  + "; docs/CONTROL.md lists each command's fields");
        }
      }
    }

    private Object get(String name) {
      return args == null ? null : args.get(name);
    }

    void allow(String... names) throws PairdException {
      if (args != null) {
        checkFields(args, command.wireName() + " args", List.of(names));
      }
    }

    PairdException invalid(String name, String problem) {
      return invalid(command, name, problem);
    }

    private static PairdException invalid(Command command, String name, String problem) {
      return new PairdException(
          ErrorCode.INVALID_ARGUMENT, command.wireName() + ": \"" + name + "\" " + problem);
    }

    String text(String name) throws PairdException {
      return optionalText(name).orElseThrow(() -> invalid(name, "is required"));
    }

    Optional<String> optionalText(String name) throws PairdException {
      Object value = get(name);
      if (value == null) {
        return Optional.empty();
      }
      if (!(value instanceof String text)) {
        throw invalid(name, "must be a string");
      }
      checkText(command, name, text);
      return Optional.of(text);
    }

    private static void checkText(Command command, String name, String text) throws PairdException {
      Optional<String> problem = textProblem(name, text);
      if (problem.isPresent()) {
        throw invalid(command, name, problem.get());
      }
    }

    /** What is wrong with {@code text} as the text argument {@code name}, if anything. */
    static Optional<String> textProblem(String name, String text) {
      int max = name.equals("label") ? MAX_LABEL : MAX_TEXT;
      if (text.isEmpty() || text.codePointCount(0, text.length()) > max) {
        return Optional.of("must be 1 to " + max + " characters");
      }
      if (text.chars().anyMatch(Arguments::isControl)) {
        return Optional.of("must not contain control characters");
      }
      return Optional.empty();
    }

    /** The secret argument, taken out of the object as {@code value}: checked as text is. */
    void secret(String name, char[] value) throws PairdException {
      if (value == null) {
        if (get(name) instanceof String) {
          throw new IllegalArgumentException(
              "the reader must take \""
                  + name
                  + "\" out of the"
                  + " request and pass it beside it");
        }
        throw invalid(name, get(name) == null ? "is required" : "must be a string");
      }
      if (value.length == 0 || value.length > MAX_TEXT) {
        throw invalid(name, "must be 1 to " + MAX_TEXT + " characters");
      }
      for (char c : value) {
        if (isControl(c)) {
          throw invalid(name, "must not contain control characters");
        }
      }
    }

    Optional<Duration> optionalSeconds(String name) throws PairdException {
      Object value = get(name);
      if (value == null) {
        return Optional.empty();
      }
      if (value instanceof BigInteger big && big.signum() > 0) {
        // A whole number all the same: what is wrong is its size.
        throw invalid(
            name, "must be at most " + ControlProtocol.MAX_KEY_LIFETIME.toSeconds() + " seconds");
      }
      if (!(value instanceof Integer seconds) || seconds <= 0) {
        throw invalid(name, "must be a positive whole number of seconds");
      }
      return Optional.of(Duration.ofSeconds(seconds));
    }

    private static boolean isControl(int c) {
      return c < 0x20 || c == 0x7f;
    }
  }
}

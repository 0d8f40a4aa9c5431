package dev.paird.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.ControlRequest;
import dev.paird.api.ErrorCode;
import dev.paird.api.ExitStatus;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.api.Printable;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * pairctl, the command-line client of paird: parses the command line ({@link Parser}), sends the
 * request over the control socket ({@link ControlClient}) and prints the answer, as text ({@link
 * Format}) or with {@code --json} as paird's JSON.
 *
 * <p>Failures go to stderr as {@code pairctl: MESSAGE}, often with a {@code hint:} line, and the
 * exit status is the {@link ExitStatus} of the failure's {@link ErrorCode}. With {@code --json} a
 * failure is also printed on stdout as {@code {"error": {"code", "message"}}}.
 *
 * <p>An answer it cannot write is never a success. If the reader of its output went away, as {@code
 * head} does once it has its lines, pairctl ends as other Unix tools do, silently with {@link
 * ExitStatus#OUTPUT_CLOSED}; but a command that changed something still says on stderr what it did,
 * and a new key is cancelled.
 */
public final class PairCtl {
  /** How long after its key's expiry {@code new-key --wait} still waits for paird to say so. */
  static final Duration WAIT_MARGIN = Duration.ofSeconds(30);

  private final PrintStream out;

  /** Where a secret is written: standard output, without a buffer that would keep it. */
  private final OutputStream raw;

  private final PrintStream err;
  private final Map<String, String> environment;
  private final Terminal terminal;
  private final Supplier<Clock> clocks;
  private final KeyInput keys;
  private final Supplier<Backoff> backoff;
  private final BooleanSupplier readerGone;
  private Format format;

  /**
   * @param charset what {@code out} encodes with, to know which characters it can show
   * @param clock now, and the zone times are shown in; asked for only when needed, because finding
   *     the local zone loads the time-zone database, a noticeable part of a short run
   * @param raw the same output as {@code out} without its buffers, for the key of a {@code new-key}
   *     answer: {@code System.out} keeps the last bytes it wrote in a buffer of its own
   * @param readerGone once a write to {@code out} or {@code raw} has failed, whether that was
   *     because their reader went away ({@link ReaderGone})
   */
  PairCtl(
      PrintStream out,
      OutputStream raw,
      PrintStream err,
      Map<String, String> environment,
      Charset charset,
      Supplier<Clock> clock,
      KeyInput keys,
      Supplier<Backoff> backoff,
      BooleanSupplier readerGone) {
    this.out = out;
    this.raw = raw;
    this.err = err;
    this.environment = environment;
    this.terminal = new Terminal(charset);
    this.clocks = clock;
    this.keys = keys;
    this.backoff = backoff;
    this.readerGone = readerGone;
  }

  public static void main(String[] args) {
    PairCtl pairctl =
        new PairCtl(
            System.out,
            new FileOutputStream(FileDescriptor.out),
            System.err,
            System.getenv(),
            Terminal.stdoutCharset(),
            new SystemClock(),
            KeyInput.system(),
            new StandardBackoff(),
            new ReaderGone());
    System.exit(pairctl.execute(args));
  }

  // The suppliers main passes are classes, not lambdas or method references, as are the others
  // on a common run's path: the first call of each lambda costs the JVM a bootstrap through
  // java.lang.invoke, several milliseconds of a run that takes a few hundred.

  /** The local zone's clock, looked up when a time is first shown. */
  private static final class SystemClock implements Supplier<Clock> {
    @Override
    public Clock get() {
      // The local zone is the point: times are shown as the person's own clock shows them.
      return Clock.system(ZoneId.systemDefault());
    }
  }

  /** {@link Backoff#standard()} for each connection. */
  private static final class StandardBackoff implements Supplier<Backoff> {
    @Override
    public Backoff get() {
      return Backoff.standard();
    }
  }

  /** Runs one command line and returns the exit status. */
  int execute(String... args) {
    Parsed parsed = new Parser(environment).parse(args);
    if (parsed instanceof Parsed.Show show) {
      if (!written(show.text())) {
        return unwritten(new Unwritten(readerGone.getAsBoolean()), Optional.empty());
      }
      return ExitStatus.OK.code();
    }
    if (parsed instanceof Parsed.Usage usage) {
      return fail(
          new PairdException(ErrorCode.USAGE, usage.message()),
          usage.json(),
          Optional.of("see '" + usage.helpCommand() + " --help'"));
    }
    Parsed.Run run = (Parsed.Run) parsed;
    try {
      return run(run);
    } catch (PairdException e) {
      return fail(e, run.json(), hint(run.request(), e.code()));
    }
  }

  private int run(Parsed.Run run) throws PairdException {
    Request request = run.request();
    // Before the key is asked for, and before paird would refuse the whole line as too long.
    ControlRequest.checkArguments(request.control(), PairCtl::typed);
    if (request instanceof Request.Pair pair) {
      return pair(run, pair);
    }
    return send(run, null);
  }

  /** A request's argument as pairctl's command line names it. */
  private static String typed(String field) {
    return switch (field) {
      case "label" -> "--label";
      case "host" -> "HOST";
      case "fingerprint" -> "FINGERPRINT";
      case "id" -> "ID";
      default -> field;
    };
  }

  /**
   * Gets the key, checks it and sends it. It stays in arrays that are wiped as soon as they have
   * served: as typed, once checked, and as the letters and digits that go to paird, once sent, so
   * that pairctl holds no key while paird pairs with it.
   */
  private int pair(Parsed.Run run, Request.Pair pair) throws PairdException {
    // Before the key is asked for: a socket pairctl will not send it to is refused at once.
    CheckedSocket.check(run.socket());
    if (pair.key() instanceof Request.KeySource.Ask && keys.asksOnATerminal()) {
      // And before a person types it: a paird that is not running, or that will not let this
      // user in, is said now rather than after the key (a status, on a connection of its own:
      // one kept open while the person types could reach paird's idle timeout).
      ControlClient.open(
              run.socket(),
              Request.DEFAULT_TIMEOUT,
              Command.STATUS,
              Json.object(),
              Request.DEFAULT_TIMEOUT,
              backoff.get())
          .client()
          .close();
    }
    char[] typed = key(pair.key());
    byte[] compact = null;
    try {
      // A typo is reported here, with the formats, before it costs one of the key's attempts.
      PairingCode.parse(typed).destroy();
      compact = compact(typed);
      Arrays.fill(typed, '\0');
      return send(run, compact);
    } finally {
      Arrays.fill(typed, '\0');
      if (compact != null) {
        Arrays.fill(compact, (byte) 0);
      }
    }
  }

  private char[] key(Request.KeySource source) throws PairdException {
    if (source instanceof Request.KeySource.Argument argument) {
      return argument.key().toCharArray();
    } else if (source instanceof Request.KeySource.File file) {
      return keys.fromFile(file.path());
    }
    return keys.ask();
  }

  /**
   * The key's letters and digits, upper case, without the dashes and spaces a person may type: a
   * form paird parses as it would the typed one, and plain ASCII for the request line. Only for a
   * key that {@link PairingCode#parse(char[])} accepted, which takes only ASCII letters and digits.
   */
  static byte[] compact(char[] typed) {
    byte[] out = new byte[typed.length];
    int length = 0;
    for (char c : typed) {
      if (c == '-' || c == ' ' || c == '\t') {
        continue;
      }
      char upper = c >= 'a' && c <= 'z' ? (char) (c - ('a' - 'A')) : c;
      if (upper > 0x7f) {
        Arrays.fill(out, (byte) 0);
        throw new IllegalArgumentException("a parsed key has only ASCII letters and digits");
      }
      out[length++] = (byte) upper;
    }
    byte[] exact = Arrays.copyOf(out, length);
    Arrays.fill(out, (byte) 0);
    return exact;
  }

  /**
   * Sends the request, with {@code key} as its key argument unless null, and shows the answer. A
   * request with a key goes second, after a {@code status} on the same connection: the connection
   * is then one paird has taken, which cannot be turned away as busy unread, so the key can be
   * wiped as soon as it is sent rather than kept to send again.
   */
  private int send(Parsed.Run run, byte[] key) throws PairdException {
    Request request = run.request();
    ControlClient.Opened opened =
        ControlClient.open(
            run.socket(),
            Request.DEFAULT_TIMEOUT,
            key == null ? request.command() : Command.STATUS,
            key == null ? request.args() : Json.object(),
            key == null ? request.timeout() : Request.DEFAULT_TIMEOUT,
            backoff.get());
    JsonNode result = opened.result();
    try (ControlClient client = opened.client()) {
      if (key != null) {
        result = client.call(request.command(), request.args(), key, request.timeout());
      }
      if (request instanceof Request.NewKey newKey && newKey.waitForPeer()) {
        return waitForPeer(client, result, run.json());
      }
      requireDone(request.command(), result);
      Output output = run.json() ? Json.output(result).text("\n") : text(request, result);
      if (request.command() == Command.NEW_KEY) {
        return printKey(client, result, output).orElse(ExitStatus.OK.code());
      }
      try {
        print(output);
      } catch (Unwritten e) {
        return unwritten(e, format().done(request.command(), result));
      }
      return ExitStatus.OK.code();
    } finally {
      // The key of a new-key answer, if it was not printed.
      SecretValue shown = SecretValue.in(result.path(Json.SECRET_FIELD));
      if (shown != null) {
        shown.destroy();
      }
    }
  }

  /**
   * Refuses an answer that does not name what the command did: exit status 0 says it was done, so a
   * pair, ping or remove must name the peer's fingerprint, and a cancel-key must say it cancelled.
   * Other answers are only shown, a missing field as "-".
   */
  private static void requireDone(Command command, JsonNode result) throws PairdException {
    switch (command) {
      case PAIR, PING -> requireFingerprint(result, "peer");
      case REMOVE -> requireFingerprint(result, "removed");
      case CANCEL_KEY -> {
        if (!result.path("cancelled").asBoolean(false)) {
          throw ControlClient.unreadable("it does not say that the key was cancelled");
        }
      }
      default -> {}
    }
  }

  private static void requireFingerprint(JsonNode result, String peer) throws PairdException {
    String fingerprint = result.path(peer).path("fingerprint").asText("");
    if (!fingerprint.matches("[0-9a-f]{64}")) {
      throw ControlClient.unreadable("its \"" + peer + "\" has no SHA-256 fingerprint");
    }
  }

  private Format format() {
    if (format == null) {
      format = new Format(terminal, clocks.get());
    }
    return format;
  }

  private Output text(Request request, JsonNode result) throws PairdException {
    if (request.command() == Command.NEW_KEY) {
      return format().newKey(result);
    }
    return Output.of(plainText(request, result));
  }

  private String plainText(Request request, JsonNode result) throws PairdException {
    Format format = format();
    if (request instanceof Request.ListTrusted listTrusted) {
      return format.listTrusted(result, listTrusted.full());
    } else if (request instanceof Request.Show show) {
      if (!show.pem()) {
        return format.shown(result);
      }
      // An error, not text: what --pem prints is meant to go straight to a file.
      Optional<String> pem = format.certificate(result);
      if (pem.isEmpty()) {
        throw ControlClient.unreadable("it holds no PEM certificate");
      }
      return pem.get();
    }
    switch (request.command()) {
      case PAIR:
        return format.paired(result);
      case REMOVE:
        return format.removed(result);
      case STATUS:
        return format.status(result);
      case LIST_KEYS:
        return format.listKeys(result);
      case CANCEL_KEY:
        return format.cancelled(result);
      case PING:
        return format.ping(result);
      default:
        throw new IllegalStateException("no text for " + request);
    }
  }

  /**
   * Shows the new key, then waits on the same connection until it is used or ends. Succeeds only if
   * a device paired; any other outcome is {@link ExitStatus#REJECTED}.
   */
  private int waitForPeer(ControlClient client, JsonNode issued, boolean json)
      throws PairdException {
    JsonNode id = issued.path("id");
    if (!id.isTextual()) {
      throw new PairdException(
          ErrorCode.INTERNAL, "paird's new-key answer has no key id to wait" + " for");
    }
    // Printed and flushed before waiting: the person needs the key to make the wait end.
    OptionalInt unshown =
        printKey(
            client,
            issued,
            json
                ? Json.output(issued).text("\n")
                : format().newKey(issued).text("\n").text(format().waiting()));
    if (unshown.isPresent()) {
      return unshown.getAsInt();
    }
    JsonNode outcome =
        client.call(Command.WAIT_KEY, Json.object().put("id", id.textValue()), waitTimeout(issued));
    boolean paired = outcome.path("outcome").asText("").equals("paired");
    try {
      if (json) {
        print(Json.output(outcome).text("\n"));
      } else if (paired) {
        print(format().pairedByKey(outcome));
      }
    } catch (Unwritten e) {
      if (paired) {
        return unwritten(e, format().done(Command.WAIT_KEY, outcome));
      }
      // Nothing changed: the outcome is a failure, reported below on stderr as it would be.
    }
    if (paired) {
      return ExitStatus.OK.code();
    }
    Optional<String> why = format().unpairedOutcome(outcome);
    if (why.isEmpty()) {
      return report(
          "paird reported the outcome '"
              + terminal.safe(outcome.path("outcome").asText(""))
              + "', which this pairctl does not"
              + " know",
          Optional.empty(),
          ExitStatus.INTERNAL);
    }
    Optional<String> hint =
        switch (outcome.path("outcome").asText()) {
          case "expired" -> Optional.of("'pairctl new-key' makes a new one");
          case "burned" ->
              Optional.of(
                  "make a new key; if nobody mistyped this one, someone else may"
                      + " have tried to guess it");
          default -> Optional.empty();
        };
    return report(why.get(), hint, ExitStatus.REJECTED);
  }

  /** Until the key has certainly expired and paird has had time to say so. */
  private Duration waitTimeout(JsonNode issued) {
    Optional<Instant> expiry = Format.instant(issued.path("expires_at"));
    Duration left =
        expiry
            .map(at -> Duration.between(Instant.now(clocks.get()), at))
            .orElse(ControlProtocol.MAX_KEY_LIFETIME);
    return (left.isNegative() ? Duration.ZERO : left).plus(WAIT_MARGIN);
  }

  private int fail(PairdException e, boolean json, Optional<String> hint) {
    if (json) {
      // If it cannot be written, the message below still says what failed.
      written(Json.write(Json.error(e.code().wireName(), e.getMessage())) + "\n");
    }
    // paird escapes the caller's text it quotes for its own ASCII log; shown here by the
    // terminal's lights instead, escaped once.
    return report(terminal.safe(Printable.unescaped(e.getMessage())), hint, e.code().exitStatus());
  }

  /** {@code message} must be safe to print. */
  private int report(String message, Optional<String> hint, ExitStatus status) {
    err.println("pairctl: " + message);
    if (hint.isPresent()) {
      err.println("hint: " + hint.get());
    }
    err.flush();
    return status.code();
  }

  private static final String UNWRITTEN =
      "cannot write to standard output, so the answer is lost; is the disk full, or did the"
          + " program reading pairctl's output stop?";

  /** An answer, or part of one, that could not be written to standard output. */
  private static final class Unwritten extends Exception {
    private static final long serialVersionUID = 1L;

    /** Whether the reader of standard output went away, rather than the write failing. */
    final boolean readerGone;

    Unwritten(boolean readerGone) {
      super(null, null, false, false);
      this.readerGone = readerGone;
    }
  }

  /**
   * The exit status of a command whose answer could not be written, once stderr says what is
   * needed: an answer that was only shown to a reader that went away needs nothing said, as with
   * other Unix tools; {@code done}, what the command changed, stands and is always said, since the
   * answer that said it is lost.
   */
  private int unwritten(Unwritten e, Optional<String> done) {
    ExitStatus status = e.readerGone ? ExitStatus.OUTPUT_CLOSED : ExitStatus.INTERNAL;
    if (done.isPresent()) {
      return report(
          (e.readerGone
                  ? "the program reading pairctl's output stopped before the answer was written"
                  : "cannot write to standard output, so the answer is lost")
              + "; done all the same: "
              + done.get(),
          Optional.empty(),
          status);
    }
    return e.readerGone ? status.code() : report(UNWRITTEN, Optional.empty(), status);
  }

  /**
   * Prints {@code text}; fails if it could not be written, so that output a script saves (show
   * --pem into a file, the key of new-key) is never lost behind an exit status of 0.
   */
  private void print(String text) throws Unwritten {
    if (!written(text)) {
      throw new Unwritten(readerGone.getAsBoolean());
    }
  }

  /**
   * Prints {@code output}: its text through {@code out}, each secret straight to {@code raw} after
   * flushing {@code out}, then wiped. Every secret in it is wiped, printed or not.
   */
  private void print(Output output) throws Unwritten {
    boolean written;
    try {
      written = output.printTo(out, raw);
    } catch (IOException e) {
      written = false;
    }
    if (!written) {
      throw new Unwritten(readerGone.getAsBoolean());
    }
  }

  /**
   * Prints a new key's answer, or, if it cannot be written in full, cancels the key on the same
   * connection: a key that nobody may have seen, or seen whole, is only one more for someone else
   * to guess at. The reader that took part of the answer may have shown the key, so stderr says
   * that it is cancelled, even when the reader went away.
   *
   * @return empty once printed, else the exit status
   */
  private OptionalInt printKey(ControlClient client, JsonNode issued, Output output) {
    try {
      print(output);
      return OptionalInt.empty();
    } catch (Unwritten unwritten) {
      ExitStatus status = unwritten.readerGone ? ExitStatus.OUTPUT_CLOSED : ExitStatus.INTERNAL;
      String lost =
          unwritten.readerGone
              ? "the program reading pairctl's output stopped before the new key was shown in full"
              : "cannot write to standard output, so the new key was not shown";
      JsonNode id = issued.path("id");
      if (!id.isTextual()) {
        return OptionalInt.of(
            report(
                lost + ", and paird's answer has no key id to cancel it by: it expires unused",
                Optional.empty(),
                status));
      }
      String which = "key " + terminal.safe(id.textValue());
      try {
        client.call(
            Command.CANCEL_KEY, Json.object().put("id", id.textValue()), Request.DEFAULT_TIMEOUT);
      } catch (PairdException notCancelled) {
        return OptionalInt.of(
            report(
                lost
                    + " and could not be cancelled ("
                    + terminal.safe(Printable.unescaped(notCancelled.getMessage()))
                    + "): 'pairctl cancel-key "
                    + terminal.safe(id.textValue())
                    + "' withdraws "
                    + which
                    + ", or it expires unused",
                Optional.empty(),
                status));
      }
      return OptionalInt.of(
          report(
              lost + "; pairctl has cancelled it (" + which + "), so no device can use it",
              Optional.empty(),
              status));
    }
  }

  /** Whether {@code text} was written to standard output. */
  private boolean written(String text) {
    out.print(text);
    out.flush();
    return !out.checkError();
  }

  /** What to try next after {@code code}, where the message alone does not say. */
  private static Optional<String> hint(Request request, ErrorCode code) {
    String help = "see 'pairctl " + request.command().wireName() + " --help'";
    switch (code) {
      case MALFORMED_KEY:
        return Optional.of(
            "type the key as the other device shows it; dashes and spaces do not" + " matter");
      case AMBIGUOUS:
        return Optional.of(
            "type more of the fingerprint; 'pairctl list-trusted --full' shows" + " them whole");
      case NOT_FOUND:
        return request.command() == Command.REMOVE || request.command() == Command.SHOW
            ? Optional.of("'pairctl list-trusted' lists the trusted devices")
            : Optional.empty();
      case USAGE:
      case BAD_REQUEST:
      case UNKNOWN_COMMAND:
      case REQUEST_TOO_LARGE:
      case UNSUPPORTED_VERSION:
      case INVALID_ARGUMENT:
        return Optional.of(help);
      case KEY_REJECTED:
        return Optional.of("make a new key on the other device ('pairctl new-key') and try again");
      case NOT_TRUSTED:
        return Optional.of(
            "pair the two devices again: 'pairctl new-key' on one, 'pairctl pair'"
                + " on the other");
      case PEER_UNREACHABLE:
      case TLS_FAILED:
      case NOT_PAIRD:
      case TIMEOUT:
      case PROTOCOL_ERROR:
        return Optional.of(
            "check the host name, and that paird runs there and accepts"
                + " connections on its pairing port ("
                + ControlProtocol.DEFAULT_PAIRING_PORT
                + "/tcp unless configured otherwise)");
      case PEER_FAILED:
        // The host was right: the other device answered and failed on its own side.
        return Optional.of(
            "the other device's log ('journalctl -u paird' there) says what"
                + " failed, often a full or read-only disk; once that is fixed, make a new key there"
                + " and pair again");
      case BUSY:
        return Optional.of("try again in a moment");
      default:
        return Optional.empty();
    }
  }
}

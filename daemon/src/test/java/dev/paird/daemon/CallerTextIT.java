package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * CONTROL.md, "Responses", and SECURITY.md: text a caller sent (a command name, a field, a key id,
 * a host) is quoted in an error message as at most its first 40 characters, then "...", in
 * printable ASCII with every other character escaped; paird's log, audit lines included, escapes it
 * the same way, so that no caller can forge a log line or hide text behind a bidi control. A real
 * paird, raw JSON lines on its control socket.
 */
final class CallerTextIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** 30 letters, a newline, a right-to-left override, then 60 more letters and an emoji. */
  private static final String HOSTILE =
      "A".repeat(30) + "\n\u202e" + "B".repeat(60) + new String(Character.toChars(0x1f600));

  /** What of {@link #HOSTILE} a message may show: 40 characters, escaped, then "...". */
  private static final String QUOTED = "A".repeat(30) + "\\x0a\\u202e" + "B".repeat(8) + "...";

  /** A log line as paird writes it: a UTC time, a level, then text. */
  private static final Pattern LOG_LINE =
      Pattern.compile(
          "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (INFO |WARN |ERROR|DEBUG) .*");

  @RegisterExtension final StartedPairds started = new StartedPairds();
  @TempDir Path dir;
  private PairdProcess.Options options;
  private PairdProcess paird;

  @BeforeEach
  void start() throws Exception {
    options = PairdProcess.in(dir);
    paird = started.add(options.start());
  }

  @Test
  void unknownCommand_isQuotedShortAndEscaped() throws Exception {
    JsonNode error = ask(request(HOSTILE));

    assertThat(error.path("code").textValue()).isEqualTo("unknown_command");
    assertPrintableAscii(error);
    assertThat(error.path("message").textValue()).contains("'" + QUOTED + "'");
  }

  @Test
  void unknownField_isQuotedShortAndEscaped() throws Exception {
    ObjectNode request = request("status");
    request.putObject("args").put(HOSTILE, 1);

    JsonNode error = ask(request);

    assertThat(error.path("code").textValue()).isEqualTo("bad_request");
    assertPrintableAscii(error);
    assertThat(error.path("message").textValue()).contains("\"" + QUOTED + "\"");
  }

  @Test
  void keyIdOfOtherScripts_isQuotedShortAndEscaped() throws Exception {
    ObjectNode request = request("cancel-key");
    request.putObject("args").put("id", "\u00e9".repeat(50));

    JsonNode error = ask(request);

    assertThat(error.path("code").textValue()).isEqualTo("not_found");
    assertPrintableAscii(error);
    assertThat(error.path("message").textValue()).contains("'" + "\\xe9".repeat(40) + "...'");
  }

  /** A host with a bidi override and more than 40 characters, in the answer and in the audit. */
  @Test
  void pairHost_isQuotedShortAndEscaped_inTheAnswerAndTheAuditLine() throws Exception {
    String host = "h\u202e" + "o".repeat(50) + ".invalid";
    ObjectNode request = request("pair");
    request.putObject("args").put("host", host + ":7247").put("key", "12-1234-1234-1");

    JsonNode error = ask(request);

    assertThat(error.path("code").textValue()).isEqualTo("peer_unreachable");
    assertPrintableAscii(error);
    assertThat(error.path("message").textValue()).contains("'h\\u202e" + "o".repeat(38) + "...'");
    String audit =
        paird.awaitLogLine(
            line -> line.contains("command=pair"), "auditing the pair", PairdProcess.START_TIMEOUT);
    assertThat(audit).contains("host=h\\u202e").doesNotContain("\u202e");
    assertThat(paird.log().lines())
        .as("every line of the log in paird's format")
        .allMatch(line -> LOG_LINE.matcher(line).matches());
    assertThat(paird.log()).doesNotContain("\u202e");
  }

  /**
   * CONTROL.md, "Access" and "Responses": a pending key sent where an id goes (cancel-key,
   * wait-key) is neither repeated in the answer nor written to the log, audit line included; the
   * message says why, and the key stays pending.
   */
  @Test
  void pendingKey_sentAsAKeyId_isShownNowhere_andStaysPending() throws Exception {
    JsonNode issued = JSON.readTree(Pairctl.exchange(options.socket(), line(request("new-key"))));
    String key = issued.path("result").path("key").textValue();
    String id = issued.path("result").path("id").textValue();

    for (String command : new String[] {"cancel-key", "wait-key"}) {
      for (String typed : new String[] {key, key.replace("-", "")}) {
        ObjectNode request = request(command);
        request.putObject("args").put("id", typed);

        JsonNode error = ask(request);

        assertThat(error.path("code").textValue()).isEqualTo("not_found");
        assertThat(error.path("message").textValue())
            .contains("[not shown: it has the shape of a pairing key]")
            .doesNotContain(typed);
      }
    }
    paird.awaitLogLine(
        line -> line.contains("command=cancel-key"),
        "auditing cancel-key",
        PairdProcess.START_TIMEOUT);
    assertThat(paird.log())
        .doesNotContain(key)
        .doesNotContain(key.replace("-", ""))
        .contains("command=cancel-key id=\"[not shown: it has the shape of a pairing key]\"");
    JsonNode keys = JSON.readTree(Pairctl.exchange(options.socket(), line(request("list-keys"))));
    assertThat(keys.path("result").path("keys").findValuesAsText("id")).containsExactly(id);
  }

  /**
   * CONTROL.md, "Responses": a pending key sent as the host of a pair, with a port or as the port,
   * is in neither the answer nor the audit line.
   */
  @Test
  void pendingKey_sentAsAHostWithAPort_isShownNowhere() throws Exception {
    JsonNode issued = JSON.readTree(Pairctl.exchange(options.socket(), line(request("new-key"))));
    String key = issued.path("result").path("key").textValue();
    String[] hosts = {key + ":7247", "[" + key + "]:7247", "localhost:" + key};
    for (String host : hosts) {
      ObjectNode request = request("pair");
      request.putObject("args").put("host", host).put("key", "12-1234-1234-1");

      JsonNode error = ask(request);

      assertThat(error.path("code").textValue()).isEqualTo("invalid_argument");
      assertThat(error.path("message").textValue()).doesNotContain(key);
    }
    ObjectNode last = request("pair");
    last.putObject("args").put("host", "last.invalid:1:2").put("key", "12-1234-1234-1");
    ask(last);
    paird.awaitLogLine(
        line -> line.contains("host=last.invalid:1:2"),
        "auditing the last pair",
        PairdProcess.START_TIMEOUT);
    assertThat(paird.log().lines().filter(line -> line.contains("command=pair")))
        .hasSize(hosts.length + 1)
        .filteredOn(line -> !line.contains("last.invalid"))
        .allSatisfy(
            audit ->
                assertThat(audit)
                    .contains(" host=\"[not shown: it has the shape of a pairing key]\""));
    assertThat(paird.log()).doesNotContain(key).doesNotContain(key.replace("-", ""));
  }

  /**
   * CONTROL.md, "Access": a value the caller sent that holds a space, a double quote or an equals
   * sign is one quoted value in its audit line, so that it cannot pose as a field of its own.
   */
  @Test
  void auditLine_callerTextWithSpacesAndEquals_isOneQuotedValue() throws Exception {
    ObjectNode request = request("pair");
    request
        .putObject("args")
        .put("host", "10.0.0.7 result=ok \"x")
        .put("key", "12-1234-1234-1")
        .put("label", "my laptop");

    ask(request);

    String audit =
        paird.awaitLogLine(
            line -> line.contains("command=pair"), "auditing the pair", PairdProcess.START_TIMEOUT);
    assertThat(audit)
        .endsWith(
            " command=pair host=\"10.0.0.7 result=ok \\x22x\" label=\"my laptop\""
                + " result=error=invalid_argument");
  }

  /**
   * CONTROL.md, {@code pair}: a host with a colon is an IPv6 address or nothing, so an address with
   * two ports is an invalid_argument, not a name to look up.
   */
  @Test
  void pairHost_withTwoPorts_isInvalid_notLookedUp() throws Exception {
    ObjectNode request = request("pair");
    request.putObject("args").put("host", "127.0.0.1:7247:1").put("key", "12-1234-1234-1");

    JsonNode error = ask(request);

    assertThat(error.path("code").textValue()).isEqualTo("invalid_argument");
    assertThat(error.path("message").textValue())
        .isEqualTo("'127.0.0.1:7247:1' is not HOST, HOST:PORT or [IPV6]:PORT");
  }

  /**
   * CONTROL.md, {@code pair}: the label's characters are checked before the key's format, so a
   * request wrong in both is refused for its label, as the order there says.
   */
  @Test
  void pairLabel_isCheckedBeforeTheKey() throws Exception {
    ObjectNode request = request("pair");
    request
        .putObject("args")
        .put("host", "127.0.0.1")
        .put("key", "12-1234-1234-2")
        .put("label", "zero\u200bwidth");

    JsonNode error = ask(request);

    assertThat(error.path("code").textValue()).isEqualTo("invalid_argument");
    assertThat(error.path("message").textValue())
        .isEqualTo("pair: label must not contain control, formatting or unassigned characters");
  }

  private static String line(ObjectNode request) throws Exception {
    return JSON.writeValueAsString(request) + "\n";
  }

  private static ObjectNode request(String command) {
    ObjectNode request = JsonNodeFactory.instance.objectNode();
    request.put("v", 1).put("command", command);
    return request;
  }

  /** The error object paird answers {@code request} with. */
  private JsonNode ask(ObjectNode request) throws Exception {
    JsonNode answer =
        JSON.readTree(Pairctl.exchange(options.socket(), JSON.writeValueAsString(request) + "\n"));
    assertThat(answer.path("ok").booleanValue()).as("answer %s", answer).isFalse();
    return answer.path("error");
  }

  private static void assertPrintableAscii(JsonNode error) {
    assertThat(error.path("message").textValue().chars())
        .as("the message %s, in printable ASCII", error)
        .allMatch(c -> c >= 0x20 && c < 0x7f);
  }
}

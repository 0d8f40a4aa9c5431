package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.paird.api.ControlProtocol.Command;
import java.math.BigInteger;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

final class ControlRequestTest {
  private static final char[] KEY = "42123456789".toCharArray();

  /** A parsed JSON object, as a JSON reader presents it. */
  private record MapFields(Map<String, Object> map) implements ControlRequest.Fields {
    @Override
    public Iterable<String> names() {
      return map.keySet();
    }

    @Override
    public Object get(String name) {
      return map.get(name);
    }
  }

  private static ControlRequest.Fields request(String command, Map<String, Object> args) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("v", ControlProtocol.VERSION);
    root.put("command", command);
    root.put("args", new MapFields(args));
    root.put("id", 7);
    return new MapFields(root);
  }

  private static PairdException refused(Object root, char[] key) {
    return catchThrowableOfType(PairdException.class, () -> ControlRequest.parse(root, key));
  }

  static List<ControlRequest> everyCommand() {
    return List.of(
        new ControlRequest.Status(),
        new ControlRequest.NewKey(Optional.of(Suite.HMAC), Optional.of(Duration.ofSeconds(90))),
        new ControlRequest.NewKey(Optional.empty(), Optional.empty()),
        new ControlRequest.WaitKey("42"),
        new ControlRequest.ListKeys(),
        new ControlRequest.CancelKey("42"),
        new ControlRequest.Pair("kitchen-pi:7247", Optional.of("Kitchen")),
        new ControlRequest.Pair("[::1]", Optional.empty()),
        new ControlRequest.Ping("10.0.0.7"),
        new ControlRequest.ListTrusted(),
        new ControlRequest.Show("9f86"),
        new ControlRequest.Remove("9f86"));
  }

  @Test
  void everyCommand_coversEachCommand() {
    assertThat(everyCommand().stream().map(ControlRequest::command).distinct())
        .containsExactlyInAnyOrder(Command.values());
  }

  @ParameterizedTest
  @MethodSource("everyCommand")
  void parse_whatArgsWrites_isTheSameRequest(ControlRequest sent) throws PairdException {
    Map<String, Object> args = new LinkedHashMap<>(sent.args());
    // JSON readers give back a whole number that fits an int as an Integer.
    args.replaceAll((name, value) -> value instanceof Long l ? Math.toIntExact(l) : value);
    char[] key = sent instanceof ControlRequest.Pair ? KEY : null;

    assertThat(ControlRequest.parse(request(sent.command().wireName(), args), key)).isEqualTo(sent);
  }

  @Test
  void args_areInTheirWireOrder() {
    ControlRequest request =
        new ControlRequest.NewKey(Optional.of(Suite.SPAKE2), Optional.of(Duration.ofMinutes(5)));

    assertThat(request.args())
        .containsExactly(Map.entry("suite", "spake2"), Map.entry("ttl_seconds", 300L));
  }

  @Test
  void args_ofPair_neverHoldTheKey() {
    assertThat(new ControlRequest.Pair("h", Optional.of("l")).args())
        .containsOnlyKeys("host", "label");
  }

  @Test
  void parse_notAnObject_isABadRequest() {
    assertThat(refused("[]", null).code()).isEqualTo(ErrorCode.BAD_REQUEST);
  }

  @Test
  void parse_otherVersion_isUnsupported() {
    Map<String, Object> root = new LinkedHashMap<>(Map.of("v", 2, "command", "status"));

    assertThat(refused(new MapFields(root), null).code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
  }

  @Test
  void parse_withoutVersion_isABadRequestSayingWhatToSend() {
    PairdException e = refused(new MapFields(Map.of("command", "status")), null);

    assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(e.getMessage()).contains("\"v\": 1");
  }

  @Test
  void parse_versionThatIsNoWholeNumber_saysSo_notThatItIsMissing() {
    for (Object v : new Object[] {"1", 1.0, new Object()}) {
      PairdException e =
          refused(new MapFields(new LinkedHashMap<>(Map.of("v", v, "command", "status"))), null);

      assertThat(e.code()).as("%s", v).isEqualTo(ErrorCode.BAD_REQUEST);
      assertThat(e.getMessage()).as("%s", v).startsWith("\"v\" must be the protocol version");
    }
  }

  @Test
  void parse_unknownCommand_echoesItsNameEscaped() {
    PairdException e = refused(request("st\u00e4tus\n", Map.of()), null);

    assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_COMMAND);
    assertThat(e.getMessage()).contains("'st\\xe4tus\\x0a'");
  }

  @Test
  void parse_unknownArgument_namesIt() {
    PairdException e = refused(request("status", Map.of("verbose", "yes")), null);

    assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(e.getMessage()).startsWith("unknown field \"verbose\" in status args; ");
  }

  @Test
  void parse_unknownSuite_isAnInvalidArgument() {
    PairdException e = refused(request("new-key", Map.of("suite", "rot13")), null);

    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).isEqualTo("new-key: \"suite\" must be \"hmac\" or \"spake2\"");
  }

  @Test
  void parse_secondsNotAPositiveInt_isAnInvalidArgument() {
    for (Object seconds : List.of(0, -5, "300", 1.5)) {
      PairdException e = refused(request("new-key", Map.of("ttl_seconds", seconds)), null);

      assertThat(e.code()).as("%s", seconds).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(e.getMessage()).contains("\"ttl_seconds\"");
    }
  }

  @Test
  void parse_ttlBeyondAnInt_isTooLarge_notAnotherKindOfNumber() {
    PairdException e =
        refused(request("new-key", Map.of("ttl_seconds", new BigInteger("99999999999"))), null);

    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).isEqualTo("new-key: \"ttl_seconds\" must be at most 3600 seconds");
  }

  @Test
  void parse_textWithControlCharacterOrTooLong_isAnInvalidArgument() {
    String tooLong = "h".repeat(ControlRequest.MAX_TEXT + 1);
    for (String host : List.of("a\tb", "del\u007f", "", tooLong)) {
      PairdException e = refused(request("ping", Map.of("host", host)), null);

      assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(e.getMessage()).startsWith("ping: \"host\" must");
    }
  }

  @Test
  void parse_label_isOneTo64Characters_countingCodePoints() throws Exception {
    for (String label : List.of("", "x".repeat(ControlRequest.MAX_LABEL + 1), "x".repeat(300))) {
      PairdException e = refused(request("pair", Map.of("host", "h", "label", label)), KEY);

      assertThat(e.getMessage()).isEqualTo("pair: \"label\" must be 1 to 64 characters");
    }
    String emoji = "\ud83d\ude00".repeat(ControlRequest.MAX_LABEL);
    assertThat(ControlRequest.parse(request("pair", Map.of("host", "h", "label", emoji)), KEY))
        .isEqualTo(new ControlRequest.Pair("h", Optional.of(emoji)));
  }

  @Test
  void checkArguments_refusesWhatParseRefuses_withItsMessage() {
    String tooLong = "a".repeat(10_000);
    PairdException client =
        catchThrowableOfType(
            PairdException.class,
            () -> ControlRequest.checkArguments(new ControlRequest.Remove(tooLong)));
    PairdException daemon = refused(request("remove", Map.of("fingerprint", tooLong)), null);

    assertThat(client.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(client.getMessage()).isEqualTo(daemon.getMessage());
  }

  @Test
  void parse_pairWithoutKey_saysItIsRequired() {
    PairdException e = refused(request("pair", Map.of("host", "h")), null);

    assertThat(e.getMessage()).isEqualTo("pair: \"key\" is required");
  }

  @Test
  void parse_pairWithAKeyThatIsNoString_saysSo() {
    PairdException e = refused(request("pair", Map.of("host", "h", "key", 42)), null);

    assertThat(e.getMessage()).isEqualTo("pair: \"key\" must be a string");
  }

  @Test
  void parse_pairWithAControlCharacterInTheKey_isRefusedWithoutTheKey() {
    PairdException e = refused(request("pair", Map.of("host", "h")), "42\n1".toCharArray());

    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).isEqualTo("pair: \"key\" must not contain control characters");
  }
}

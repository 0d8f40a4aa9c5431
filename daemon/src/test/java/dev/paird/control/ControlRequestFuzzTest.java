package dev.paird.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.paird.api.ControlProtocol;
import dev.paird.api.ControlRequest;
import dev.paird.api.ErrorCode;
import dev.paird.api.HmacCode;
import dev.paird.api.PairdException;
import dev.paird.api.Spake2Code;
import dev.paird.testing.Mutations;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Request lines as a hostile local user writes them, read as {@link ControlHandler} reads them
 * ({@link ControlCodec#parseLine}, then {@link ControlRequest#parse}) and answered: random and
 * mutated JSON with deep nesting, huge numbers, invalid UTF-8, unpaired surrogates, duplicate keys,
 * wrong types, NUL bytes and strings up to the line's bound, with fixed seeds.
 *
 * <p>What must hold (docs/CONTROL.md): a line is run or refused with one of the codes a request can
 * get, never {@code internal}; the answer is one line of UTF-8 JSON that echoes the request's id;
 * its message is printable ASCII, with no Java exception text and no key, wherever the key was put.
 */
final class ControlRequestFuzzTest {
  private static final Set<ErrorCode> REQUEST_CODES =
      EnumSet.of(
          ErrorCode.BAD_REQUEST,
          ErrorCode.UNSUPPORTED_VERSION,
          ErrorCode.UNKNOWN_COMMAND,
          ErrorCode.INVALID_ARGUMENT);

  private static final List<String> COMMANDS =
      List.of(
          "status",
          "new-key",
          "wait-key",
          "list-keys",
          "cancel-key",
          "pair",
          "ping",
          "list-trusted",
          "show",
          "remove");

  private static final List<String> ARGS =
      List.of("suite", "ttl_seconds", "id", "host", "key", "label", "fingerprint");

  private static final List<String> NUMBERS =
      List.of(
          "0",
          "-0",
          "1",
          "2",
          "1.0",
          "-1",
          "300",
          "1e3",
          "1E+999",
          "1e999",
          "1e-999",
          "1e2147483647",
          "1e2147483648",
          "1e-2147483648",
          "-1e99999999999",
          "2147483647",
          "2147483648",
          "-2147483649",
          "9223372036854775808",
          "12345678901234567890",
          "-1234567890123456789",
          "123456789012345678901234567890",
          "0.1234567890123456789",
          "00",
          "01",
          "+1",
          ".5",
          "1.",
          "0x10",
          "NaN",
          "Infinity",
          "-Infinity",
          "1e",
          "--1");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Random random = new Random(0xc0de_0001L);
  private final List<String> keys = new ArrayList<>();

  @Test
  void randomAndMutatedLines_areRunOrRefusedWithARequestCode_neverEchoingAKey() throws Exception {
    // The keys too come from the seed, so that a failing line can be made again.
    Random keyRandom = new Random(random.nextLong());
    SecureRandom secure =
        new SecureRandom() {
          private static final long serialVersionUID = 1L;

          @Override
          public void nextBytes(byte[] bytes) {
            keyRandom.nextBytes(bytes);
          }
        };
    for (int i = 0; i < 4; i++) {
      keys.add(Spake2Code.generate(secure, random.nextInt(100), 6 + i).format());
      keys.add(HmacCode.generate(secure).format());
    }
    int accepted = 0;
    int refused = 0;
    for (int i = 0; i < 60_000; i++) {
      String key = keys.get(random.nextInt(keys.size()));
      byte[] line = request(key).getBytes(StandardCharsets.UTF_8);
      if (random.nextInt(3) == 0) {
        line = mutate(line, key);
      }
      if (line.length > ControlProtocol.MAX_REQUEST_BYTES || contains(line, (byte) '\n')) {
        continue; // split or refused by WipingLineDecoder before any parsing
      }
      if (answer(line, key)) {
        accepted++;
      } else {
        refused++;
      }
    }
    // Both outcomes are common: the fuzzer gets past the JSON reader into the request's checks.
    assertThat(accepted).isGreaterThan(2_000);
    assertThat(refused).isGreaterThan(20_000);
  }

  /**
   * Reads {@code line} as the handler does and checks the answer; true if the request was accepted,
   * false if it was refused.
   */
  private static boolean answer(byte[] line, String key) throws Exception {
    JsonNode id = null;
    JsonNode response;
    boolean accepted;
    try (ControlCodec.RequestLine parsed = ControlCodec.parseLine(line.clone())) {
      id = parsed.root().get("id");
      ControlRequest request = ControlRequest.parse(JsonFields.of(parsed.root()), parsed.key());
      response =
          ControlCodec.ok(
              id,
              JsonNodeFactory.instance.objectNode().put("command", request.command().wireName()));
      accepted = true;
    } catch (PairdException e) {
      assertThat(REQUEST_CODES).as(show(line)).contains(e.code());
      String message = e.getMessage();
      assertThat(message).as(show(line)).isNotBlank();
      assertThat(message.chars().allMatch(c -> c >= 0x20 && c < 0x7f))
          .as("printable ASCII: %s for %s", message, show(line))
          .isTrue();
      assertThat(message)
          .as(show(line))
          .doesNotContain("Exception", "com.fasterxml", "java.", "jackson");
      if (standsApart(line, key)) {
        assertThat(message).as(show(line)).doesNotContain(key).doesNotContain(key.replace("-", ""));
      }
      response = ControlCodec.error(id, e.code(), message);
      accepted = false;
    } catch (RuntimeException e) {
      throw new AssertionError("answered internal: " + show(line), e);
    }
    byte[] written = ControlCodec.encode(response);
    assertThat(written[written.length - 1]).isEqualTo((byte) '\n');
    assertThat(indexOf(written, (byte) '\n')).isEqualTo(written.length - 1);
    StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(written));
    JsonNode back = JSON.readTree(written);
    assertThat(back.path("ok").booleanValue()).isEqualTo(accepted);
    if (id != null && id.isValueNode() && !id.isNumber()) {
      assertThat(back.get("id")).as(show(line)).isEqualTo(id);
    }
    return accepted;
  }

  /** A request, usually close to a valid one, with the key somewhere. */
  private String request(String key) {
    List<String> fields = new ArrayList<>();
    if (random.nextInt(10) > 0) {
      fields.add(field("v", random.nextInt(8) > 0 ? "1" : value(1, key)));
    }
    String command = COMMANDS.get(random.nextInt(COMMANDS.size()));
    if (random.nextInt(10) > 0) {
      fields.add(field("command", random.nextInt(10) > 0 ? quote(command) : value(1, key)));
    }
    if (random.nextInt(4) > 0) {
      fields.add(field("args", random.nextInt(10) > 0 ? args(command, key) : value(1, key)));
    }
    if (random.nextBoolean()) {
      fields.add(field("id", value(random.nextInt(8) > 0 ? 8 : 1, key)));
    }
    if (random.nextInt(10) == 0) {
      fields.add(field(text(key), value(1, key)));
    }
    if (!fields.isEmpty() && random.nextInt(10) == 0) {
      fields.add(fields.get(random.nextInt(fields.size()))); // a field twice
    }
    if (random.nextInt(5) == 0) {
      Collections.shuffle(fields, random);
    }
    return "{" + String.join(random.nextBoolean() ? "," : " , ", fields) + "}";
  }

  private String args(String command, String key) {
    List<String> fields = new ArrayList<>();
    switch (command) {
      case "new-key" -> {
        if (random.nextBoolean()) {
          fields.add(field("suite", quote(random.nextBoolean() ? "hmac" : "spake2")));
        }
        if (random.nextBoolean()) {
          fields.add(field("ttl_seconds", NUMBERS.get(random.nextInt(NUMBERS.size()))));
        }
      }
      case "wait-key", "cancel-key" -> fields.add(field("id", quote(text(key))));
      case "pair" -> {
        fields.add(field("host", quote(random.nextInt(8) > 0 ? "peer.local" : text(key))));
        fields.add(field("key", random.nextInt(8) > 0 ? quote(key) : value(1, key)));
        if (random.nextBoolean()) {
          fields.add(field("label", quote(text(key))));
        }
      }
      case "ping" -> fields.add(field("host", quote(text(key))));
      case "show", "remove" -> fields.add(field("fingerprint", quote(text(key))));
      default -> {}
    }
    if (random.nextInt(6) == 0) {
      fields.add(field(ARGS.get(random.nextInt(ARGS.size())), value(2, key)));
    }
    if (!fields.isEmpty() && random.nextInt(10) == 0) {
      fields.add(fields.get(random.nextInt(fields.size())));
    }
    Collections.shuffle(fields, random);
    return "{" + String.join(",", fields) + "}";
  }

  /** Any JSON value, nested up to {@code depth} more levels; sometimes not quite JSON. */
  private String value(int depth, String key) {
    int choice = random.nextInt(depth > 0 ? 9 : 6);
    switch (choice) {
      case 0, 1:
        return quote(text(key));
      case 2:
        return NUMBERS.get(random.nextInt(NUMBERS.size()));
      case 3:
        return List.of("true", "false", "null", "tru", "nul", "True").get(random.nextInt(6));
      case 4:
        return Long.toString(random.nextLong() >> random.nextInt(64));
      case 5:
        return quote(key);
      case 6:
        {
          // Nested past the bound of 8 about half the time.
          int levels = 1 + random.nextInt(12);
          String open = random.nextBoolean() ? "[" : "{\"a\":";
          String close = open.equals("[") ? "]" : "}";
          return open.repeat(levels) + value(0, key) + close.repeat(levels);
        }
      case 7:
        {
          List<String> elements = new ArrayList<>();
          for (int i = random.nextInt(4); i > 0; i--) {
            elements.add(value(depth - 1, key));
          }
          return "[" + String.join(",", elements) + "]";
        }
      default:
        {
          List<String> fields = new ArrayList<>();
          for (int i = random.nextInt(4); i > 0; i--) {
            fields.add(field(text(key), value(depth - 1, key)));
          }
          return "{" + String.join(",", fields) + "}";
        }
    }
  }

  /** The text of a JSON string, escapes and all: printable, foreign, broken, or the key. */
  private String text(String key) {
    StringBuilder text = new StringBuilder();
    for (int i = random.nextInt(6); i >= 0; i--) {
      switch (random.nextInt(16)) {
        // Wherever it is, the key stands apart from letters and digits, as CONTROL.md's promise
        // not to repeat it says.
        case 0 -> text.append("/").append(key).append("/");
        case 1 -> text.append("/").append(key).append(":7247");
        case 2 -> text.append("[").append(key).append("]");
        case 3 -> text.append("\\ud800"); // an unpaired high surrogate
        case 4 -> text.append("\\udc00"); // an unpaired low surrogate
        case 5 -> text.append("\\u0000");
        case 6 -> text.append("\\n\\t\\\"\\\\\\/\\u202e");
        case 7 -> text.append("\ud83d\ude00é☺");
        case 8 -> text.append("\\x41\\"); // invalid escapes
        case 9 -> text.append((char) random.nextInt(0x20)); // raw control character
        case 10 -> text.append("x".repeat(random.nextInt(9000))); // up to and past the bound
        case 11 -> text.append("\\ud83d\\ude00");
        case 12 -> text.append(COMMANDS.get(random.nextInt(COMMANDS.size())));
        case 13 -> text.append("a1b2c3d4".repeat(8));
        default -> text.append((char) (0x20 + random.nextInt(0x5f)));
      }
    }
    return text.toString();
  }

  private static String field(String name, String value) {
    return quote(name) + ":" + value;
  }

  private static String quote(String text) {
    return "\"" + text + "\"";
  }

  /** {@code line} with one to three byte-level mutations. */
  private byte[] mutate(byte[] line, String key) {
    byte[] bytes = line;
    for (int m = 1 + random.nextInt(3); m > 0; m--) {
      int at = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
      switch (random.nextInt(7)) {
        case 0 -> bytes = java.util.Arrays.copyOf(bytes, at);
        case 1 -> {
          if (bytes.length > 0) {
            bytes[at] ^= (byte) (1 << random.nextInt(8));
          }
        }
        case 2 -> {
          byte[] special = {
            0,
            '{',
            '}',
            '[',
            ']',
            '"',
            ':',
            ',',
            '\\',
            '\r',
            (byte) 0xff,
            (byte) 0xfe,
            (byte) 0xc3,
            (byte) 0xed,
            (byte) 0x80,
            (byte) 0xf4
          };
          bytes =
              Mutations.splice(bytes, at, at, new byte[] {special[random.nextInt(special.length)]});
        }
        case 3 -> {
          int end = at + random.nextInt(bytes.length - at + 1);
          bytes = Mutations.splice(bytes, end, end, java.util.Arrays.copyOfRange(bytes, at, end));
        }
        case 4 -> {
          int end = at + random.nextInt(Math.min(bytes.length - at, 20) + 1);
          bytes = Mutations.splice(bytes, at, end, new byte[0]);
        }
        case 5 ->
            bytes =
                Mutations.splice(
                    bytes, at, at, ("/" + key + "/").getBytes(StandardCharsets.US_ASCII));
        default -> {
          // Encoded surrogates (CESU-8) and overlong forms: not UTF-8.
          byte[][] invalid = {
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            {(byte) 0xc0, (byte) 0xaf},
            {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}
          };
          bytes = Mutations.splice(bytes, at, at, invalid[random.nextInt(invalid.length)]);
        }
      }
    }
    return bytes;
  }

  /**
   * Whether every copy of {@code key} in {@code line} stands apart from the characters a key is
   * made of, as CONTROL.md's promise not to repeat it requires: a mutation may have glued one to a
   * letter or a dash, and a key glued into a longer word is no longer a key's shape.
   */
  private static boolean standsApart(byte[] line, String key) {
    String text = new String(line, StandardCharsets.ISO_8859_1);
    for (int at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + 1)) {
      int end = at + key.length();
      if ((at > 0 && isKeyCharacter(text.charAt(at - 1)))
          || (end < text.length() && isKeyCharacter(text.charAt(end)))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isKeyCharacter(char c) {
    return c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean contains(byte[] bytes, byte b) {
    return indexOf(bytes, b) >= 0;
  }

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** The line for a failure's description: as UTF-8 if it is, else as Latin-1. */
  private static String show(byte[] line) {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(line)).toString();
    } catch (CharacterCodingException e) {
      return new String(line, StandardCharsets.ISO_8859_1);
    }
  }
}

package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CONTROL.md, "Responses" and "Access": text with the shape of a pairing key is never repeated in a
 * message or a log line, and a host with a key's shape is taken for a key.
 */
final class EchoTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @Test
  void keys_asIssuedAndAsTyped_areNotShown() {
    for (int secretDigits = Spake2Code.MIN_SECRET_DIGITS;
        secretDigits <= Spake2Code.MAX_SECRET_DIGITS;
        secretDigits++) {
      String code = Spake2Code.generate(RANDOM, 42, secretDigits).format();
      assertNotShown(code);
      assertNotShown(code.replace("-", ""));
      assertNotShown(code.replace("-", " "));
    }
    String hmac = HmacCode.generate(RANDOM).format();
    assertNotShown(hmac);
    assertNotShown(hmac.replace("-", "").toLowerCase(java.util.Locale.ROOT));
    assertNotShown(hmac.substring(0, hmac.length() - 1)); // its last character not typed
  }

  @Test
  void keys_withAMistypedCheckCharacter_areNotShownEither() {
    String code = Spake2Code.generate(RANDOM, 7, Spake2Code.DEFAULT_SECRET_DIGITS).format();
    char last = code.charAt(code.length() - 1);
    assertNotShown(code.substring(0, code.length() - 1) + (last == '9' ? '0' : (char) (last + 1)));
  }

  /** A key given as a host with a port, or as the port, is no more shown than one alone. */
  @Test
  void keys_withinAHostAndPort_areNotShown() {
    String code = Spake2Code.generate(RANDOM, 42, Spake2Code.DEFAULT_SECRET_DIGITS).format();
    String hmac = HmacCode.generate(RANDOM).format();
    for (String key : new String[] {code, code.replace("-", ""), hmac}) {
      for (String text :
          new String[] {key + ":7247", "[" + key + "]:7247", "localhost:" + key, key + " laptop"}) {
        assertThat(Echo.of(text)).as(text).isEqualTo(Echo.KEY_SHAPED);
      }
    }
    assertThat(Echo.of("kitchen-pi.local:7247")).isEqualTo("kitchen-pi.local:7247");
    assertThat(Echo.of("[fe80::1%eth0]:7247")).isEqualTo("[fe80::1%eth0]:7247");
  }

  private static void assertNotShown(String key) {
    assertThat(PairingCode.hasKeyShape(key)).as(key).isTrue();
    assertThat(Echo.of(key)).isEqualTo(Echo.KEY_SHAPED);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"42", "7", "kitchen-pi", "10.0.0.7", "9f86d081", "fe80::1", "12345678", "a-b"})
  void otherText_isShownEscapedAndBounded(String text) {
    assertThat(PairingCode.hasKeyShape(text)).isFalse();
    assertThat(Echo.of(text)).isEqualTo(text);
    assertThat(Echo.of(text + "\n" + "x".repeat(50)))
        .isEqualTo(Printable.escaped(text + "\n" + "x".repeat(50), ControlRequest.ECHO_LIMIT));
  }

  @Test
  void host_ofASpake2CodesShape_orAWellFormedHmacKey_isAKey() {
    String code = Spake2Code.generate(RANDOM, 42, Spake2Code.DEFAULT_SECRET_DIGITS).format();
    assertThat(PairingCode.isKeyNotHost(code)).isTrue();
    assertThat(PairingCode.isKeyNotHost("12-3456-7890-0")).as("a check digit aside").isTrue();
    assertThat(PairingCode.isKeyNotHost(HmacCode.generate(RANDOM).format())).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "kitchen-pi",
        "10.0.0.7",
        "kitchen-pi.local",
        // 26 and 27 letters and digits, a key's shape but not a well-formed hmac key: a host
        "raspberrypilivingroomnode1",
        "raspberrypilivingroomnode12"
      })
  void host_thatIsNotAKey_isAHost(String host) {
    assertThat(PairingCode.isKeyNotHost(host)).isFalse();
  }
}

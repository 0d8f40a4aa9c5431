package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

final class TerminalTest {
  private static final Terminal UTF8 = new Terminal(StandardCharsets.UTF_8);
  private static final Terminal ASCII = new Terminal(StandardCharsets.US_ASCII);

  @Test
  void safe_printableText_isUnchanged() {
    assertThat(UTF8.safe("CN=K\u00fcche-Pi, O=\u6771\u4eac \ud83d\ude00"))
        .isEqualTo("CN=K\u00fcche-Pi, O=\u6771\u4eac \ud83d\ude00");
  }

  @ParameterizedTest
  @CsvSource({
    "'\u001b[2J\u001b[31mred', '\\x1b[2J\\x1b[31mred'", // clear screen, colour
    "'two\nlines\r', 'two\\x0alines\\x0d'",
    "'tab\there', 'tab\\x09here'",
    "'del\u007f', 'del\\x7f'",
    "'c1 csi\u009b31m', 'c1 csi\\x9b31m'", // the 8-bit CSI
    "'bell\u0007', 'bell\\x07'",
  })
  void safe_controlCharacters_areEscaped(String hostile, String shown) {
    assertThat(UTF8.safe(hostile)).isEqualTo(shown);
  }

  @Test
  void safe_bidiOverrideAndZeroWidth_areEscaped() {
    // "evil\u202Egnp.exe" shows as "evilexe.png" in a terminal that honours the override.
    assertThat(UTF8.safe("evil\u202egnp.exe\u200b")).isEqualTo("evil\\u202egnp.exe\\u200b");
  }

  @Test
  void safe_privateUseUnassignedAndLoneSurrogates_areEscaped() {
    assertThat(UTF8.safe("\ue000\ud800x\udb40\udc01"))
        .isEqualTo("\\ue000\\ud800x\\U000e0001");
  }

  @Test
  void safe_backslash_isDoubledSoEscapesAreUnambiguous() {
    assertThat(UTF8.safe("a\\x1b")).isEqualTo("a\\\\x1b");
  }

  @Test
  void safe_whatTheCharsetCannotEncode_isEscaped() {
    assertThat(ASCII.safe("K\u00fcche \u6771")).isEqualTo("K\\xfcche \\u6771");
  }

  @Test
  void safe_null_isADash() {
    assertThat(UTF8.safe(null)).isEqualTo("-");
  }

  @Test
  void ellipsis_fallsBackToDotsWhereItCannotBeShown() {
    assertThat(UTF8.ellipsis()).isEqualTo("\u2026");
    assertThat(ASCII.ellipsis()).isEqualTo("...");
  }
}

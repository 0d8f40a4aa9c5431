package dev.paird.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.testing.Mutations;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * paird's config file as a damaged disk or a careless edit leaves it: cut at every byte, bits
 * flipped, lines repeated, garbage and huge numbers inserted, with a fixed seed. It is read, or
 * refused with {@code config_invalid} naming the file; never another exception.
 */
@Timeout(60)
final class ConfigFileFuzzTest {
  private static final String SOURCE = "/etc/paird/paird.conf";

  /** Every setting, set to a value other than its default. */
  private static final String VALID =
      String.join(
          "\n",
          "# paird",
          "state_dir = /var/lib/paird-test",
          "socket = /run/paird/test.sock",
          "socket_group = paird",
          "listen = [::1]:7300",
          "cert = /etc/paird/device.crt",
          "key = /etc/paird/device.key",
          "default_suite = hmac",
          "key_lifetime = 10m",
          "max_pending_keys = 20",
          "max_attempts = 5",
          "code_digits = 9",
          "max_connections = 100",
          "max_connections_per_source = 8",
          "rate_limit_per_minute = 60",
          "handshake_timeout = 15s",
          "first_frame_timeout = 7s",
          "exchange_timeout = 1m",
          "connect_timeout = 20s",
          "control_max_connections = 16",
          "control_idle_timeout = 2m",
          "log_level = debug",
          "");

  private static final String[] INSERTS = {
    "99999999999999999999",
    "2147483648",
    "-1",
    "1e9",
    "\u0000",
    "\r",
    "=",
    "#",
    "[",
    "]:",
    "\u202e",
    "\ud800",
    "٣",
    "9999999999h",
    "0s",
    " = ",
    "\n\n",
  };

  @TempDir Path dir;

  @Test
  void text_cutAtEveryCharacter_isReadOrRefusedNamingTheFile() {
    int read = 0;
    for (int cut = 0; cut <= VALID.length(); cut++) {
      if (readOrRefused(VALID.substring(0, cut))) {
        read++;
      }
    }
    // Until the line of "key" arrives, "cert" alone is refused.
    assertThat(read).isGreaterThan(VALID.length() / 4);
  }

  @Test
  void text_damaged_isReadOrRefusedNamingTheFile() {
    Random random = new Random(0xc0f1_0001L);
    int read = 0;
    for (int i = 0; i < 30_000; i++) {
      if (readOrRefused(damage(random, VALID))) {
        read++;
      }
    }
    assertThat(read).isBetween(1_000, 29_000);
  }

  /** Bytes that are not UTF-8, or are, read from a file as paird reads its config. */
  @Test
  void file_damagedBytes_isReadOrRefusedNamingTheFile() throws Exception {
    Random random = new Random(0xc0f1_0002L);
    Path file = dir.resolve("paird.conf");
    byte[] valid = VALID.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 300; i++) {
      byte[] bytes = valid.clone();
      for (int m = 1 + random.nextInt(3); m > 0; m--) {
        int at = random.nextInt(bytes.length);
        if (random.nextBoolean()) {
          bytes[at] ^= (byte) (1 << random.nextInt(8));
        } else {
          byte[] invalid = {(byte) 0xed, (byte) 0xa0, (byte) 0x80, (byte) 0xff, (byte) 0xc0};
          bytes = Mutations.splice(bytes, at, at, Arrays.copyOf(invalid, 1 + random.nextInt(5)));
        }
      }
      Files.write(file, bytes);
      try {
        PairdConfig.from(ConfigFile.read(file, true));
      } catch (PairdException e) {
        assertRefusal(e, file.toString());
      }
    }
  }

  /** Whether {@code text} was read; if refused, the refusal is checked. */
  private static boolean readOrRefused(String text) {
    try {
      Map<String, ConfigFile.Setting> settings = ConfigFile.parse(text, SOURCE);
      PairdConfig.from(settings);
      return true;
    } catch (PairdException e) {
      assertRefusal(e, SOURCE);
      return false;
    } catch (RuntimeException e) {
      throw new AssertionError("unexpected " + e + " for:\n" + text, e);
    }
  }

  private static void assertRefusal(PairdException e, String source) {
    assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_INVALID);
    assertThat(e.getMessage()).as(e.getMessage()).contains(source).doesNotContain("Exception");
  }

  private static String damage(Random random, String valid) {
    String text = valid;
    for (int m = 1 + random.nextInt(3); m > 0; m--) {
      int at = random.nextInt(text.length() + 1);
      switch (random.nextInt(5)) {
        case 0 -> text = text.substring(0, at);
        case 1 -> {
          if (at < text.length()) {
            char flipped = (char) (text.charAt(at) ^ (1 << random.nextInt(7)));
            text = text.substring(0, at) + flipped + text.substring(at + 1);
          }
        }
        case 2 -> {
          List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
          int line = random.nextInt(lines.size());
          lines.add(line, lines.get(line));
          text = String.join("\n", lines);
        }
        case 3 ->
            text =
                text.substring(0, at)
                    + INSERTS[random.nextInt(INSERTS.length)]
                    + text.substring(at);
        default -> {
          int end = Math.min(text.length(), at + random.nextInt(12));
          text = text.substring(0, at) + text.substring(end);
        }
      }
    }
    return text;
  }
}

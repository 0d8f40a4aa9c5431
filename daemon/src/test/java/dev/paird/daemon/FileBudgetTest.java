package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.config.ConfigFile;
import dev.paird.config.PairdConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class FileBudgetTest {
  private static final String HEADER =
      "Limit                     Soft Limit           Hard Limit           Units     \n";

  @TempDir Path tmp;

  @Test
  void required_countsEveryConnectionTheSettingsAllow() throws Exception {
    assertThat(FileBudget.required(PairdConfig.defaultConfig())).isEqualTo(64 + 64 + 2 * 32 + 16);
    assertThat(FileBudget.required(config("max_connections = 8\ncontrol_max_connections = 4\n")))
        .isEqualTo(64 + 8 + 2 * 4 + 16);
  }

  @Test
  void check_passesAtTheBudgetAndRefusesOneBelow() throws Exception {
    PairdConfig config = config("max_connections = 100\ncontrol_max_connections = 10\n");
    int required = 64 + 100 + 20 + 16;

    assertThatCode(() -> FileBudget.check(config, OptionalLong.of(required)))
        .doesNotThrowAnyException();
    PairdException refused =
        catchThrowableOfType(
            PairdException.class, () -> FileBudget.check(config, OptionalLong.of(required - 1)));

    assertThat(refused.code()).isEqualTo(ErrorCode.CONFIG_INVALID);
    assertThat(refused.getMessage())
        .contains("paird may need " + required + " open files")
        .contains(
            "(64 at rest, 100 for max_connections = 100, 20 for twice control_max_connections"
                + " = 10, and 16 for lookups and writes)")
        .contains("may open only " + (required - 1))
        .contains("LimitNOFILE=");
  }

  @Test
  void check_anUnknownLimitPasses() {
    assertThatCode(() -> FileBudget.check(PairdConfig.defaultConfig(), OptionalLong.empty()))
        .doesNotThrowAnyException();
  }

  @Test
  void limit_isTheSoftLimitOfTheOpenFilesLine() throws Exception {
    Path limits =
        Files.writeString(
            tmp.resolve("limits"),
            HEADER
                + "Max processes             63704                63704                processes \n"
                + "Max open files            1024                 524288               files     \n"
                + "Max locked memory         8388608              8388608              bytes     \n");

    assertThat(FileBudget.limit(limits)).hasValue(1024);
  }

  @Test
  void limit_unlimitedMissingOrUnreadable_isUnknown() throws Exception {
    Path unlimited =
        Files.writeString(
            tmp.resolve("unlimited"),
            HEADER
                + "Max open files            unlimited            unlimited            files     \n");
    Path without =
        Files.writeString(
            tmp.resolve("without"),
            HEADER
                + "Max processes             63704                63704                processes \n");

    assertThat(FileBudget.limit(unlimited)).isEmpty();
    assertThat(FileBudget.limit(without)).isEmpty();
    assertThat(FileBudget.limit(tmp.resolve("absent"))).isEmpty();
  }

  @Test
  void limit_ofThisProcess_isKnown() {
    assertThat(FileBudget.limit()).isPresent();
  }

  private static PairdConfig config(String text) throws PairdException {
    return PairdConfig.from(ConfigFile.parse(text, "test.conf"));
  }
}

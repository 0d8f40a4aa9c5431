package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.config.PairdConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

final class PairdHelpTest {
  @Test
  void help_namesTheDefaultConfigFile_andFitsAnEightyColumnTerminal() {
    StringWriter out = new StringWriter();
    CommandLine paird = new CommandLine(new Paird());
    paird.setOut(new PrintWriter(out));

    int status = paird.execute("--help");

    assertThat(status).isZero();
    assertThat(out.toString())
        .contains(PairdConfig.DEFAULT_CONFIG.toString())
        .doesNotContain("null");
    assertThat(out.toString().lines()).allSatisfy(line -> assertThat(line).hasSizeLessThan(81));
  }
}

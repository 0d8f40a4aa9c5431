package dev.paird;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.syntax.elements.GivenClassesConjunction;
import dev.paird.api.HmacCode;
import dev.paird.api.PairingCode;
import dev.paird.api.Spake2Code;
import dev.paird.keys.PendingKeys;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package structure docs/ARCHITECTURE.md draws, as rules over the compiled main classes: a
 * package that imports one it may not fails the build, naming the class and the dependency.
 */
final class ArchitectureTest {
  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.paird");
  }

  @Test
  void layers_dependOnlyOnTheLayersBelowThem() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .ensureAllClassesAreContainedInArchitecture()
        .layer("api")
        .definedBy("dev.paird.api..")
        .layer("spake2")
        .definedBy("dev.paird.protocol.spake2..")
        .layer("protocol")
        .definedBy("dev.paird.protocol")
        .layer("io")
        .definedBy("dev.paird.io..")
        .layer("config")
        .definedBy("dev.paird.config..")
        .layer("identity")
        .definedBy("dev.paird.identity..")
        .layer("trust")
        .definedBy("dev.paird.trust..")
        .layer("keys")
        .definedBy("dev.paird.keys..")
        .layer("net")
        .definedBy("dev.paird.net..")
        .layer("control")
        .definedBy("dev.paird.control..")
        .layer("daemon")
        .definedBy("dev.paird.daemon..")
        // pairctl's own classes; absent once the vocabulary has a module of its own.
        .optionalLayer("cli")
        .definedBy("dev.paird.ctl..")
        .whereLayer("api")
        .mayNotAccessAnyLayer()
        .whereLayer("spake2")
        .mayOnlyAccessLayers("api")
        .whereLayer("protocol")
        .mayOnlyAccessLayers("api", "spake2")
        .whereLayer("io")
        .mayOnlyAccessLayers("api")
        .whereLayer("config")
        .mayOnlyAccessLayers("api", "io")
        .whereLayer("identity")
        .mayOnlyAccessLayers("api", "io")
        .whereLayer("trust")
        .mayOnlyAccessLayers("api", "io", "identity")
        .whereLayer("keys")
        .mayOnlyAccessLayers("api", "protocol")
        .whereLayer("net")
        .mayOnlyAccessLayers("api", "protocol", "io", "config", "identity", "trust")
        .whereLayer("control")
        .mayOnlyAccessLayers("api", "protocol", "io", "config", "identity", "trust", "keys", "net")
        .whereLayer("daemon")
        .mayOnlyAccessLayers(
            "api",
            "protocol",
            "spake2",
            "io",
            "config",
            "identity",
            "trust",
            "keys",
            "net",
            "control")
        .whereLayer("cli")
        .mayOnlyAccessLayers("api")
        .check(main);
  }

  @Test
  void packages_haveNoCycles() {
    slices().matching("dev.paird.(**)").should().beFreeOfCycles().check(main);
  }

  @Test
  void protocol_isPureComputation() {
    // No I/O framework, no JSON, no sockets or files, no X.509 parsing, and none of the
    // daemon's stateful parts: the core takes bytes and returns bytes and a verdict.
    noClasses()
        .that()
        .resideInAPackage("dev.paird.protocol..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.netty..",
            "com.fasterxml..",
            "org.slf4j..",
            "java.net..",
            "java.nio.channels..",
            "java.nio.file..",
            "java.security.cert..",
            "dev.paird.keys..",
            "dev.paird.identity..",
            "dev.paird.trust..",
            "dev.paird.net..",
            "dev.paird.control..",
            "dev.paird.config..",
            "dev.paird.io..",
            "dev.paird.daemon..")
        .check(main);
  }

  @Test
  void bouncyCastle_onlyInSpake2AndIdentity() {
    noClasses()
        .that()
        .resideOutsideOfPackages("dev.paird.protocol.spake2..", "dev.paird.identity..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.bouncycastle..")
        .check(main);
  }

  @Test
  void netty_onlyInNetControlAndDaemon() {
    noClasses()
        .that()
        .resideOutsideOfPackages("dev.paird.net..", "dev.paird.control..", "dev.paird.daemon..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.netty..")
        .check(main);
  }

  @Test
  void daemon_readsAndWritesJsonWithoutDataBinding() {
    // A mapper's set-up loads some 300 classes, resident for the daemon's life; JsonTrees gives
    // the same trees from the streaming parser and generator.
    noDaemonClasses()
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName("com.fasterxml.jackson.databind.ObjectMapper")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("com.fasterxml.jackson.databind.json.JsonMapper")
        .check(main);
  }

  @Test
  void daemon_neverDependsOnTheCli() {
    noDaemonClasses()
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.paird.ctl..")
        .check(main);
  }

  @Test
  void daemon_neverMakesAStringOfAKey() {
    // A String cannot be wiped: the new-key answer is written from PairingCode.formatAscii(),
    // and the key a pair request brings is read as characters (SECURITY.md, "What paird wipes").
    noDaemonClasses()
        .should()
        .callMethod(PendingKeys.IssuedKey.class, "code")
        .orShould()
        .callMethod(PairingCode.class, "format")
        .orShould()
        .callMethod(Spake2Code.class, "format")
        .orShould()
        .callMethod(HmacCode.class, "format")
        .orShould()
        .callMethod(PairingCode.class, "parse", String.class)
        .check(main);
  }

  /** No class of the daemon's: every main class but pairctl's. */
  private static GivenClassesConjunction noDaemonClasses() {
    return noClasses()
        .that()
        .resideInAPackage("dev.paird..")
        .and()
        .resideOutsideOfPackage("dev.paird.ctl..");
  }
}

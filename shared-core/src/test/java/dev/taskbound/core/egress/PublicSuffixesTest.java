package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link PublicSuffixes} reads the JDK's list itself; it must answer as the JDK's own
 * {@code sun.security.util.RegisteredDomain} does (the test JVM exports it) on ICANN suffixes,
 * registrable domains, wildcard and exception rules, the private section and IDN names.
 */
class PublicSuffixesTest {
  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({
    "co.uk, true", "example.co.uk, false", "com.au, true", "pvt.k12.ma.us, true", "k12.ma.us, true",
    "ma.us, true", "example.ma.us, false", "anything.ck, true", "www.ck, false", "a.b.ck, false",
    "sch.uk, false", "foo.sch.uk, true", "github.io, false", "githubusercontent.com, false", "s3.amazonaws.com, false",
    "example.com, false", "kawasaki.jp, false", "city.kawasaki.jp, false", "foo.kawasaki.jp, true",
    "d1.example.com, false", "example.xn--4pvxs.jp, false", "notatld-example, false"
  })
  void answersAsTheJdksRegisteredDomain(String name, boolean suffix) throws Exception {
    assertThat(PublicSuffixes.unavailable()).isEmpty();
    assertThat(PublicSuffixes.isIcannSuffix(name)).as("ours").isEqualTo(suffix);
    assertThat(jdkSaysIcannSuffix(name)).as("the JDK's").isEqualTo(suffix);
  }

  /**
   * The list names IDN suffixes in Unicode; {@code RegisteredDomain} does not match their
   * {@code xn--} form (it calls {@code 栃木.jp}'s A-label registrable), which is the form rules take
   * after canonicalisation, so {@code *.xn--4pvxs.jp} would have passed as a registrable domain.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"xn--4pvxs.jp", "xn--qxam"})
  void idnSuffixesCountInTheirAsciiFormWhereTheJdkMissesThem(String name) throws Exception {
    assertThat(PublicSuffixes.isIcannSuffix(name)).isTrue();
    assertThat(jdkSaysIcannSuffix(name)).isFalse();
  }

  @Test
  void aFileThatIsNotTheListMakesTheCheckUnavailableWithTheReason(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path notAZip = java.nio.file.Files.writeString(dir.resolve("list.dat"), "co.uk\n");

    PublicSuffixes list = PublicSuffixes.load(notAZip);

    assertThat(list.why()).hasValueSatisfying(why -> assertThat(why).startsWith("cannot read the JDK's public suffix list "
        + notAZip + " ("));
  }

  private static boolean jdkSaysIcannSuffix(String name) throws Exception {
    Class<?> registered = Class.forName("sun.security.util.RegisteredDomain");
    Method from = registered.getMethod("from", String.class);
    Optional<?> domain = (Optional<?>) from.invoke(null, "x." + name);
    if (domain.isEmpty()) {
      return false;
    }
    Object d = domain.get();
    return name.equals(registered.getMethod("publicSuffix").invoke(d))
        && "ICANN".equals(String.valueOf(registered.getMethod("type").invoke(d)));
  }
}

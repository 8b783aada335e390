package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Issue 15: a refused push answered as git-receive-pack would, so git prints the rule. */
class ReceivePackReportTest {
  private static final String OLD = "0".repeat(40);
  private static final String NEW = "a".repeat(40);

  @Test
  void theCommandListCarriesTheCapabilitiesOfItsFirstLine() throws Exception {
    // given a push of two refs whose first command line asks for a report over side-band-64k
    String first = OLD + " " + NEW + " refs/heads/main\0 report-status side-band-64k agent=git/2.39\n";
    String second = NEW + " " + OLD + " refs/heads/old\n";
    byte[] body = (pkt(first) + pkt(second) + "0000PACK").getBytes(StandardCharsets.ISO_8859_1);

    // when it is read
    ReceivePack.Commands commands = ReceivePack.parseCommands(body, body.length).orElseThrow();

    // then both updates and the capabilities are there
    assertThat(commands.updates()).containsExactly(new ReceivePack.Update("refs/heads/main", true, false),
        new ReceivePack.Update("refs/heads/old", false, true));
    assertThat(commands.capabilities()).containsExactlyInAnyOrder("report-status", "side-band-64k", "agent=git/2.39");
  }

  @Test
  void withoutSideBandTheReportIsPlainPktLinesEndingInAFlush() {
    // given a client that asked for report-status only
    byte[] body = ReceivePackReport.body(Set.of("report-status"),
        List.of(new ReceivePackReport.Refused("refs/heads/main", "taskbound: git.push denied by rule\nforged")),
        List.of("ignored without side-band"));

    // then: unpack ok, one ng line per ref (its reason on one line), a flush
    assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(
        pkt("unpack ok\n") + pkt("ng refs/heads/main taskbound: git.push denied by rule\\nforged\n") + "0000");
  }

  @Test
  void withSideBandTheFullReasonGoesOnBandTwoAndTheReportOnBandOne() {
    // given a client that asked for side-band-64k
    byte[] body = ReceivePackReport.body(Set.of("report-status-v2", "side-band-64k"),
        List.of(new ReceivePackReport.Refused("refs/heads/main", "taskbound: git.push denied by rule")),
        List.of("taskbound: why, at length"));

    // then band 2 holds the message, band 1 the whole report, and a flush ends the response
    String report = pkt("unpack ok\n") + pkt("ng refs/heads/main taskbound: git.push denied by rule\n") + "0000";
    assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(
        pkt("\2taskbound: why, at length\n") + pkt("\1" + report) + "0000");
  }

  @Test
  void onlyAClientThatAskedForAReportGetsOne() {
    assertThat(ReceivePackReport.wanted(Set.of("report-status"))).isTrue();
    assertThat(ReceivePackReport.wanted(Set.of("report-status-v2", "side-band-64k"))).isTrue();
    assertThat(ReceivePackReport.wanted(Set.of("side-band-64k", "ofs-delta"))).isFalse();
  }

  private static String pkt(String data) {
    return String.format("%04x", data.getBytes(StandardCharsets.UTF_8).length + 4) + data;
  }
}

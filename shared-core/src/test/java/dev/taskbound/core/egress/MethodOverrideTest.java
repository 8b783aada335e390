package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A method override header naming another method is refused; one naming the request's own method passes. */
class MethodOverrideTest {
  private static RequestHead head(String method, String header) throws ProxyRequestException {
    String extra = header.isEmpty() ? "" : "\r\n" + header;
    return RequestHead.parse(method + " /repos/o/r HTTP/1.1\r\nHost: api.github.com" + extra, ByteBuffer.allocate(0));
  }

  @ParameterizedTest(name = "{0} with ''{1}'' is refused")
  @CsvSource(delimiter = '|', value = {
      "POST | X-HTTP-Method-Override: DELETE",
      "POST | X-HTTP-Method: DELETE",
      "POST | X-Method-Override: PATCH",
      "GET  | x-http-method-override: PUT",
      "POST | X-HTTP-Method-Override: delete",
      "POST | X-HTTP-Method-Override: POST, DELETE",
  })
  void anOverrideNamingAnotherMethodIsRefused(String method, String header) throws Exception {
    // given a request whose override header names another method than its own
    RequestHead h = head(method, header);

    // when it is checked, then it is refused with a 403 naming the header, recorded as a denial
    assertThatThrownBy(() -> MethodOverride.check(h)).isInstanceOfSatisfying(ProxyRequestException.class, e -> {
      assertThat(e.status()).isEqualTo(403);
      assertThat(e.getMessage()).containsIgnoringCase(header.substring(0, header.indexOf(':')))
          .contains("accepted: no method override header");
      assertThat(e.event()).isEqualTo(GatewayEvents.MALFORMED);
      assertThat(e.evidence()).contains("method override header").doesNotContain("DELETE");
    });
  }

  @ParameterizedTest(name = "{0} with ''{1}'' passes")
  @CsvSource(delimiter = '|', value = {
      "POST  | ''",
      "POST  | X-HTTP-Method-Override: POST",
      "DELETE| X-HTTP-Method: DELETE",
      "GET   | X-Method-Override:  GET ",
      "POST  | X-Requested-With: XMLHttpRequest",
  })
  void noOverrideOrOneNamingTheSameMethodPasses(String method, String header) throws Exception {
    RequestHead h = head(method.strip(), header);

    assertThatCode(() -> MethodOverride.check(h)).doesNotThrowAnyException();
  }
}

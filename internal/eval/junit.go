package eval

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/chatbot-platform/chatbot/internal/model"
)

// The JUnit XML shape CI servers read (Jenkins, GitLab, GitHub test reporters).
type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string         `xml:"name,attr"`
	ClassName string         `xml:"classname,attr"`
	Time      string         `xml:"time,attr"`
	Failures  []junitFailure `xml:"failure"`
	Skipped   *struct{}      `xml:"skipped"`
	SystemOut string         `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// JUnit renders a run as JUnit XML: one testsuite for the run, one testcase per case, a failure per
// failing check; cases not answered yet are skipped.
func JUnit(run model.EvalRun, results []model.EvalResult) []byte {
	suite := junitSuite{Name: fmt.Sprintf("project %d evaluation run %d on %s", run.ProjectID, run.ID, targetName(run)),
		Tests: len(results), Time: "0"}
	var total int64
	for _, r := range results {
		c := junitCase{Name: fmt.Sprintf("case %d: %s", r.CaseID, oneLine(r.Input, 80)), ClassName: fmt.Sprintf("project%d.eval", run.ProjectID),
			Time: seconds(r.LatencyMS), SystemOut: r.Reply}
		if r.LatencyMS != nil {
			total += *r.LatencyMS
		}
		switch r.Status {
		case model.EvalPending:
			c.Skipped = &struct{}{}
			suite.Skipped++
		case model.EvalCaseFailed:
			suite.Failures++
			for _, ch := range r.CheckResults {
				if !ch.Passed {
					c.Failures = append(c.Failures, junitFailure{Type: ch.Check, Message: ch.Detail, Text: ch.Check + " " + ch.Expected + ": " + ch.Detail})
				}
			}
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Time = seconds(&total)
	out, _ := xml.MarshalIndent(suite, "", "  ") // plain structs of strings and ints always encode
	return append([]byte(xml.Header), append(out, '\n')...)
}

func targetName(r model.EvalRun) string {
	if r.TargetRelease == nil {
		return DraftTarget
	}
	return fmt.Sprintf("release %d", *r.TargetRelease)
}

func seconds(ms *int64) string {
	if ms == nil {
		return "0"
	}
	return fmt.Sprintf("%.3f", float64(*ms)/1000)
}

// oneLine is s on one line, at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

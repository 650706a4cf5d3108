package usage

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/chatbot-platform/chatbot/internal/model"
)

//go:embed prices.json
var defaultPrices []byte

// priceFile is the price table's format: USD per million tokens by model, with where they came from.
type priceFile struct {
	Date   string `json:"date"`
	Source string `json:"source"`
	Models map[string]struct {
		Input       float64  `json:"input"`
		CachedInput *float64 `json:"cached_input"`
		Output      float64  `json:"output"`
	} `json:"models"`
}

// Prices is the price table: the one in the repository, with a deployment's file over it.
type Prices struct {
	byModel map[string]model.Price
	Date    string
	Source  string
}

// LoadPrices reads the built-in table and, when path is set, a file in the same format whose models
// replace or add to it.
func LoadPrices(path string) (*Prices, error) {
	p := &Prices{byModel: map[string]model.Price{}}
	if err := p.merge(defaultPrices); err != nil {
		return nil, fmt.Errorf("usage: built-in prices: %w", err)
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("PRICES_FILE: %w", err)
		}
		if err := p.merge(b); err != nil {
			return nil, fmt.Errorf("PRICES_FILE %s: %w", path, err)
		}
	}
	return p, nil
}

func (p *Prices) merge(b []byte) error {
	var f priceFile
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	for name, m := range f.Models {
		if m.Input < 0 || m.Output < 0 || m.CachedInput != nil && *m.CachedInput < 0 {
			return fmt.Errorf("model %s: prices must not be negative", name)
		}
		price := model.Price{Input: MicroUSD(m.Input), CachedInput: MicroUSD(m.Input), Output: MicroUSD(m.Output)}
		if m.CachedInput != nil {
			price.CachedInput = MicroUSD(*m.CachedInput)
		}
		p.byModel[strings.ToLower(name)] = price
	}
	if f.Date != "" {
		p.Date, p.Source = f.Date, f.Source
	}
	return nil
}

// Lookup finds a model's price: by its name, or by the longest listed name it starts with followed by
// "-" (OpenAI reports dated snapshots such as gpt-4o-mini-2024-07-18).
func (p *Prices) Lookup(name string) (model.Price, bool) {
	name = strings.ToLower(name)
	if price, ok := p.byModel[name]; ok {
		return price, true
	}
	best, found := "", false
	for m := range p.byModel {
		if strings.HasPrefix(name, m+"-") && len(m) > len(best) {
			best, found = m, true
		}
	}
	return p.byModel[best], found
}

// Cost is what tokens cost at price, in micro-USD (rounded up: a budget never undercounts).
func Cost(price model.Price, input, cachedInput, output int64) int64 {
	uncached := max(0, input-cachedInput)
	perMillion := uncached*price.Input + cachedInput*price.CachedInput + output*price.Output
	return (perMillion + 999_999) / 1_000_000
}

// MicroUSD converts dollars to micro-dollars.
func MicroUSD(usd float64) int64 { return int64(math.Round(usd * 1e6)) }

// USD converts micro-dollars to dollars.
func USD(micro int64) float64 { return float64(micro) / 1e6 }

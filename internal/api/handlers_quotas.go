package api

import "github.com/kilnhq/kiln/internal/uforge"

// getQuotas answers what a user may hold and holds (userQuotas_get).
func (s *Server) getQuotas(r *request) (*response, error) {
	return answer(s.quotas.GetQuotas(r.Context(), r.caller, r.PathValue("uid")))
}

// updateQuotas sets a user's limits (userQuotas_update); the use case
// admits administrators only.
func (s *Server) updateQuotas(r *request) (*response, error) {
	var in uforge.Quotas
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	return answer(s.quotas.UpdateQuotas(r.Context(), r.caller, r.PathValue("uid"), &in))
}

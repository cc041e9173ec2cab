package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// page reads the limit and offset query parameters.
func page(c *gin.Context) (limit, offset int, err error) {
	l, err := queryInt(c, "limit")
	if err != nil {
		return 0, 0, err
	}
	o, err := queryInt(c, "offset")
	if err != nil {
		return 0, 0, err
	}
	if l > 1000 {
		l = 1000
	}
	return int(l), int(o), nil
}

// listResponse is one page of a list and how many items match in all.
type listResponse[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

func writeList[T any](c *gin.Context, items []T, total int) {
	if items == nil {
		items = []T{}
	}
	c.JSON(http.StatusOK, listResponse[T]{Items: items, Total: total})
}
